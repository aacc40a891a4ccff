import { Client, Runtime } from '@duroxide/core';
import { SqliteProvider } from '@duroxide/provider-sqlite';
import { defaultBackends } from './backends.js';
import { parseArgs, type SampleArgs, storeKind, USAGE, UsageError } from './cli-args.js';
import {
  type Approval,
  type OrderInput,
  type OrderResult,
  orderWorkflow,
  type Progress,
} from './workflow.js';

/** Where the CLI writes: progress and results to `out`, problems to `err`. */
export interface SampleIo {
  out(line: string): void;
  err(line: string): void;
}

/** How one order ended, as the CLI saw it. */
export interface OrderOutcome {
  /** Instance status: Completed (the workflow ran to its end, whatever the business outcome) or Failed. */
  status: string;
  /** The workflow's result when Completed. */
  result: OrderResult | null;
}

function makeOrders(args: SampleArgs, runId: string): OrderInput[] {
  return Array.from({ length: args.orders }, (_, i) => ({
    orderId: `order-${runId}-${i + 1}`,
    customer: `customer-${i + 1}`,
    lines: [
      { sku: 'widget', qty: 3 },
      { sku: 'gadget', qty: 1 },
    ],
    amountCents: 4_999 + i * 100,
    card: args.failPayment ? 'declined' : 'ok',
    failShipping: args.failShipping,
    approvalTimeoutMs: args.approvalTimeoutMs,
    approveOnTimeout: args.approveOnTimeout,
  }));
}

function parseProgress(raw: string | null | undefined): Progress | null {
  if (raw === null || raw === undefined) return null;
  try {
    return JSON.parse(raw) as Progress;
  } catch {
    return { stage: 'status', detail: raw };
  }
}

/** Prints every progress change of one order, answers its approval request, and returns how it ended. */
async function follow(client: Client, id: string, args: SampleArgs, io: SampleIo): Promise<OrderOutcome> {
  let version = 0;
  let asked = false;
  for (;;) {
    const status = await client.waitForStatusChange(id, version, 25, 60_000);
    if (status.customStatusVersion > version) {
      version = status.customStatusVersion;
      const p = parseProgress(status.customStatus);
      if (p !== null) io.out(`[${id}] ${p.stage.padEnd(18)} ${p.detail}`);
      // Handshake: the status and the approval subscription are committed in the same turn.
      if (p?.stage === 'awaiting-approval' && !asked && args.approval !== 'none') {
        asked = true;
        const decision: Approval = { approved: args.approval === 'approve', by: 'cli' };
        await client.raiseEvent(id, 'approval', decision);
        io.out(`[${id}] ${'approval sent'.padEnd(18)} ${decision.approved ? 'approved' : 'rejected'} by cli`);
      }
    }
    if (status.status === 'Completed') {
      io.out(`[${id}] result: ${JSON.stringify(status.output)}`);
      return { status: 'Completed', result: status.output as OrderResult };
    }
    if (status.status === 'Failed') {
      io.err(`[${id}] orchestration failed: ${String(status.error)}`);
      return { status: 'Failed', result: null };
    }
  }
}

/** Runs the order-fulfilment sample; resolves with the process exit code (0 success, 1 failure, 2 usage). */
export async function runSample(argv: readonly string[], io: SampleIo): Promise<number> {
  let args: SampleArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`error: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  const kind = storeKind(args.db);
  if (kind !== 'sqlite') {
    io.err(`error: the ${kind} provider is not available yet; use a SQLite path or sqlite: URL with --db`);
    return 2;
  }

  const provider = await SqliteProvider.open(args.db);
  const workflow = orderWorkflow(defaultBackends());
  // Retry warnings from orchestration traces are part of the story: show them with the progress lines.
  const show = (message: string) => io.out(`    · ${message}`);
  const logger = { debug: show, info: show, warn: show, error: (message: string) => io.err(message) };
  const runtime = new Runtime(provider, {
    dispatcherMinPollIntervalMs: 10,
    observability: { logger, logLevel: 'error', traceLevel: 'warn' },
  });
  runtime.register(workflow.processOrder, ...workflow.activities);
  await runtime.start();
  try {
    const client = new Client(provider);
    const orders = makeOrders(args, Date.now().toString(36));
    io.out(`duroxide sample: ${orders.length} order(s) on ${args.db}`);
    for (const order of orders) await client.startOrchestration(order.orderId, workflow.processOrder, order);
    const outcomes = await Promise.all(orders.map((o) => follow(client, o.orderId, args, io)));
    const count = (outcome: string) => outcomes.filter((o) => o.result?.outcome === outcome).length;
    io.out(
      `done: ${count('fulfilled')} fulfilled, ${count('rejected')} rejected, ${count('failed')} failed and compensated, ` +
        `${outcomes.filter((o) => o.status !== 'Completed').length} orchestration failures`,
    );
    return outcomes.every((o) => o.status === 'Completed') ? 0 : 1;
  } finally {
    await runtime.shutdown(5_000);
    await provider.close();
  }
}
