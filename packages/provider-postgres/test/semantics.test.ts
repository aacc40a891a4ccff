import './support/pg-cjs-shim.js';
import { type Event, ManualClock, ProviderError } from '@duroxide/core';
import {
  activityItem,
  emptyAck,
  event,
  fetchInstance,
  startedEvent,
  startItem,
} from '@duroxide/provider-tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresProvider } from '../src/index.js';
import { usePostgres } from './support/test-db.js';

const db = usePostgres();

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected a rejection');
}

describe('Postgres provider semantics beyond the kit', () => {
  const clock = new ManualClock(1_700_000_000_000);
  let provider: PostgresProvider;
  beforeAll(async () => {
    provider = await PostgresProvider.connectWithSchema(db.url, db.schema('sem'), {
      clock,
      maxPayloadBytes: 4_096,
    });
  });
  afterAll(async () => {
    await provider.close();
  });

  async function firstTurn(instance: string, extra: Event[] = [], status?: 'Completed' | 'ContinuedAsNew') {
    await provider.enqueueForOrchestrator(startItem(instance));
    const fetched = await fetchInstance(provider, instance, 30_000);
    await provider.ackOrchestrationItem(
      fetched.lockToken,
      emptyAck(1, {
        historyDelta: [startedEvent(instance), ...extra],
        metadata: {
          orchestrationName: 'TestOrch',
          orchestrationVersion: '1.0.0',
          ...(status ? { status, output: 'out' } : {}),
        },
      }),
    );
  }

  /** Whether any fetchable batch belongs to `instance` (every batch fetched is released again). */
  async function fetchable(instance: string): Promise<boolean> {
    const tokens: string[] = [];
    let found = false;
    for (let fetched = await provider.fetchOrchestrationItem(1_000, 0); fetched; ) {
      tokens.push(fetched.lockToken);
      found ||= fetched.item.instance === instance;
      fetched = await provider.fetchOrchestrationItem(1_000, 0);
    }
    for (const token of tokens) await provider.abandonOrchestrationItem(token, { ignoreAttempt: true });
    return found;
  }

  it('getInstanceStats counts the current execution, pending messages and merged KV', async () => {
    expect(await provider.getInstanceStats('stats-unknown')).toBeNull();
    await firstTurn('stats', [
      event('stats', 1, 2, { kind: 'KeyValueSet', key: 'a', value: 'xyz', lastUpdatedAtMs: 1 }),
      event('stats', 1, 3, { kind: 'KeyValueSet', key: 'b', value: 'q', lastUpdatedAtMs: 1 }),
    ]);
    await provider.enqueueForOrchestrator({
      kind: 'ExternalRaised',
      instance: 'stats',
      name: 'e',
      data: '1',
    });
    const stats = await provider.getInstanceStats('stats');
    expect(stats).toMatchObject({
      historyEventCount: 3,
      queuePendingCount: 1,
      kvUserKeyCount: 2,
      kvTotalValueBytes: 4,
    });
    expect(stats?.historySizeBytes).toBeGreaterThan(100);
  });

  it('read() of undecodable history fails permanently instead of skipping events', async () => {
    await firstTurn('corrupt');
    await db.raw.query(
      `UPDATE "${provider.schema}".history SET event_data = '{"x":1}' WHERE instance_id = 'corrupt'`,
    );
    const err = await rejection(provider.read('corrupt'));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('corrupt');
  });

  it('completed_at is stamped for ContinuedAsNew too, so completedBefore filters see continued executions', async () => {
    await firstTurn('continued', [], 'ContinuedAsNew');
    const info = await provider.asManagementCapability().getExecutionInfo('continued', 1);
    expect(info.status).toBe('ContinuedAsNew');
    expect(info.completedAt).toBe(clock.now());
  });

  it('bad input fails permanently before anything is written', async () => {
    await provider.enqueueForOrchestrator(startItem('bad-input'));
    const fetched = await fetchInstance(provider, 'bad-input', 30_000);
    const wrongQueue = await rejection(
      provider.ackOrchestrationItem(
        fetched.lockToken,
        emptyAck(1, { orchestratorItems: [activityItem('bad-input', 1) as never] }),
      ),
    );
    expect(wrongQueue.message).toContain('ActivityExecute');
    const tooLarge = await rejection(
      provider.ackOrchestrationItem(
        fetched.lockToken,
        emptyAck(1, { historyDelta: [{ ...startedEvent('bad-input'), input: 'x'.repeat(5_000) } as Event] }),
      ),
    );
    expect(tooLarge.message).toContain('maxPayloadBytes');
    expect(tooLarge.retryable).toBe(false);
    expect(await provider.read('bad-input')).toEqual([]);
    const badDuration = await rejection(provider.fetchOrchestrationItem(-1, 0));
    expect(badDuration.message).toContain('lockTimeoutMs');
    // The lock survived the rejected acks: a valid ack still commits.
    await provider.ackOrchestrationItem(
      fetched.lockToken,
      emptyAck(1, { historyDelta: [startedEvent('bad-input')] }),
    );
    expect(await provider.read('bad-input')).toHaveLength(1);
  });

  it('renewals extend by milliseconds, never truncated to seconds', async () => {
    await provider.enqueueForOrchestrator(startItem('renew-ms'));
    const fetched = await fetchInstance(provider, 'renew-ms', 1_000);
    await provider.renewOrchestrationItemLock(fetched.lockToken, 1_500);
    clock.advance(1_499);
    expect(await fetchable('renew-ms'), 'still locked 1 ms before the renewed expiry').toBe(false);
    clock.advance(2);
    expect((await fetchInstance(provider, 'renew-ms', 1_000)).item.instance).toBe('renew-ms');
  });
});
