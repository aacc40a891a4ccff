import {
  defineActivity,
  defineOrchestration,
  type OrchestrationContext,
  type RetryPolicy,
} from '@duroxide/core';
import type { FakeBackends, OrderLine } from './backends.js';

/** What a client submits to start an order. */
export interface OrderInput {
  /** Business id of the order (also used as the instance id). */
  orderId: string;
  /** Who ordered. */
  customer: string;
  /** What was ordered. */
  lines: OrderLine[];
  /** Price in cents. */
  amountCents: number;
  /** `declined` makes the payment service refuse every attempt (the compensation path). */
  card: 'ok' | 'declined';
  /** Makes the carrier refuse the shipment after payment (compensation refunds, then releases). */
  failShipping: boolean;
  /** How long to wait for the `approval` event. */
  approvalTimeoutMs: number;
  /** What a missing approval means once the timeout passes. */
  approveOnTimeout: boolean;
}

/** The `approval` event's payload. */
export interface Approval {
  /** The decision. */
  approved: boolean;
  /** Who decided. */
  by: string;
}

/** How an order ended. */
export type OrderResult =
  | {
      orderId: string;
      outcome: 'fulfilled';
      warehouse: string;
      reservationId: string;
      paymentId: string;
      trackingNumber: string;
      approvedBy: string;
    }
  | { orderId: string; outcome: 'rejected' | 'failed'; reason: string; compensations: string[] };

/** The custom status the orchestration publishes (JSON-encoded) as it progresses. */
export interface Progress {
  /** sourcing, reserving, awaiting-approval, charging, shipping, compensating, fulfilled, rejected, failed. */
  stage: string;
  /** Human-readable detail for the stage. */
  detail: string;
}

/** The warehouses every order is checked against, in preference order. */
export const WAREHOUSES = ['east', 'central', 'west'] as const;

/** Retries for the inventory and payment services: three attempts, exponential backoff from 50 ms. */
export const SERVICE_RETRY: RetryPolicy = {
  maxAttempts: 3,
  backoff: 'exponential',
  initialDelayMs: 50,
  maxDelayMs: 1_000,
};

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Builds the order-fulfilment activities and orchestration over a set of backends. */
export function orderWorkflow(backends: FakeBackends) {
  const checkWarehouse = defineActivity(
    'CheckWarehouse',
    async (_ctx, x: { warehouse: string; lines: OrderLine[] }) => ({
      warehouse: x.warehouse,
      available: backends.canFulfil(x.warehouse, x.lines),
    }),
  );
  const reserveInventory = defineActivity(
    'ReserveInventory',
    async (_ctx, x: { orderId: string; warehouse: string; lines: OrderLine[] }) => {
      // The inventory API times out on the first call of every order: the retry policy absorbs it.
      if (backends.attempt(`reserve:${x.orderId}`) === 1) throw new Error('inventory service timed out');
      return backends.reserve(x.warehouse, x.lines);
    },
  );
  const releaseInventory = defineActivity('ReleaseInventory', async (_ctx, reservationId: string) =>
    backends.release(reservationId),
  );
  const chargePayment = defineActivity(
    'ChargePayment',
    async (_ctx, x: { orderId: string; amountCents: number; card: OrderInput['card'] }) => {
      if (x.card === 'declined') throw new Error('card declined by issuer');
      return backends.charge(x.orderId, x.amountCents);
    },
  );
  const refundPayment = defineActivity('RefundPayment', async (_ctx, paymentId: string) =>
    backends.refund(paymentId),
  );
  const createShipment = defineActivity(
    'CreateShipment',
    async (ctx, x: { orderId: string; warehouse: string; fail: boolean }) => {
      if (x.fail) throw new Error('carrier rejected the shipment');
      return `TRK-${x.warehouse.toUpperCase()}-${x.orderId}-${ctx.activityId}`;
    },
  );

  const processOrder = defineOrchestration(
    'ProcessOrder',
    async (ctx: OrchestrationContext, order: OrderInput) => {
      const progress = (stage: string, detail: string) =>
        ctx.setCustomStatus(JSON.stringify({ stage, detail }));
      const undo: { label: string; run: () => PromiseLike<unknown> }[] = [];
      const compensate = async (reason: string, outcome: 'rejected' | 'failed'): Promise<OrderResult> => {
        progress('compensating', reason);
        const compensations: string[] = [];
        for (const step of undo.reverse()) {
          await step.run();
          compensations.push(step.label);
        }
        progress(outcome, reason);
        return { orderId: order.orderId, outcome, reason, compensations };
      };

      progress('sourcing', `checking ${WAREHOUSES.length} warehouses`);
      const checks = await ctx.all(
        WAREHOUSES.map((warehouse) =>
          ctx.scheduleActivity(checkWarehouse, { warehouse, lines: order.lines }),
        ),
      );
      const warehouse = checks.flatMap((c) => ('ok' in c && c.ok.available ? [c.ok.warehouse] : []))[0];
      if (warehouse === undefined) return compensate('no warehouse can fulfil the order', 'failed');

      progress('reserving', `reserving at ${warehouse}`);
      let reservationId: string;
      try {
        reservationId = await ctx.scheduleActivityWithRetry(
          reserveInventory,
          { orderId: order.orderId, warehouse, lines: order.lines },
          SERVICE_RETRY,
        );
      } catch (e) {
        return compensate(`reservation failed: ${messageOf(e)}`, 'failed');
      }
      undo.push({
        label: `released ${reservationId}`,
        run: () => ctx.scheduleActivity(releaseInventory, reservationId),
      });

      progress('awaiting-approval', `waiting up to ${order.approvalTimeoutMs} ms for approval`);
      const decision = await ctx.race(
        ctx.waitForEvent<Approval>('approval'),
        ctx.scheduleTimer(order.approvalTimeoutMs),
      );
      const approved = decision.index === 0 ? decision.value.approved : order.approveOnTimeout;
      const approvedBy = decision.index === 0 ? decision.value.by : 'timeout';
      if (!approved) return compensate(`not approved (${approvedBy})`, 'rejected');

      progress('charging', `charging ${(order.amountCents / 100).toFixed(2)}`);
      let paymentId: string;
      try {
        paymentId = await ctx.scheduleActivityWithRetry(
          chargePayment,
          { orderId: order.orderId, amountCents: order.amountCents, card: order.card },
          SERVICE_RETRY,
        );
      } catch (e) {
        return compensate(`payment failed: ${messageOf(e)}`, 'failed');
      }
      undo.push({
        label: `refunded ${paymentId}`,
        run: () => ctx.scheduleActivity(refundPayment, paymentId),
      });

      progress('shipping', `shipping from ${warehouse}`);
      let trackingNumber: string;
      try {
        trackingNumber = await ctx.scheduleActivity(createShipment, {
          orderId: order.orderId,
          warehouse,
          fail: order.failShipping,
        });
      } catch (e) {
        return compensate(`shipment failed: ${messageOf(e)}`, 'failed');
      }
      progress('fulfilled', trackingNumber);
      const result: OrderResult = {
        orderId: order.orderId,
        outcome: 'fulfilled',
        warehouse,
        reservationId,
        paymentId,
        trackingNumber,
        approvedBy,
      };
      return result;
    },
  );

  return {
    processOrder,
    activities: [
      checkWarehouse,
      reserveInventory,
      releaseInventory,
      chargePayment,
      refundPayment,
      createShipment,
    ],
  };
}
