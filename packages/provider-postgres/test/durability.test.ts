import './support/pg-cjs-shim.js';
import { ManualClock, ProviderError } from '@duroxide/core';
import { activityItem, emptyAck, fetchInstance, startedEvent, startItem } from '@duroxide/provider-tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresProvider } from '../src/index.js';
import { usePostgres } from './support/test-db.js';

const db = usePostgres();

/** The provider error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected a rejection');
}

// Fetches commit with synchronous_commit off (README "Durability"): their lock must still be a real,
// committed row that other fetches honour, and a lock lost in a crash must behave like an expired one.
describe('Postgres fetch leases (asynchronous commit)', () => {
  const clock = new ManualClock(1_700_000_000_000);
  let provider: PostgresProvider;
  let schema: string;
  beforeAll(async () => {
    schema = db.schema('dur');
    provider = await PostgresProvider.connectWithSchema(db.url, schema, { clock });
  });
  afterAll(async () => {
    await provider.close();
  });

  it('only the fetch functions turn synchronous commit off; acks keep full durability', async () => {
    const { rows } = await db.raw.query<{ proname: string }>(
      `SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = $1 AND p.prosrc LIKE '%synchronous_commit%' ORDER BY p.proname`,
      [schema],
    );
    expect(rows.map((r) => r.proname)).toEqual(['fetch_orchestration_item', 'fetch_work_item']);
  });

  it("an orchestration fetch's lock row is committed and a second fetch honours it", async () => {
    await provider.enqueueForOrchestrator(startItem('held'));
    const first = await fetchInstance(provider, 'held', 30_000);
    const { rows } = await db.raw.query<{ lock_token: string }>(
      `SELECT lock_token FROM "${schema}".instance_locks WHERE instance_id = 'held'`,
    );
    expect(rows).toEqual([{ lock_token: first.lockToken }]);
    expect(await provider.fetchOrchestrationItem(30_000, 0)).toBeNull();
    await provider.ackOrchestrationItem(
      first.lockToken,
      emptyAck(1, { historyDelta: [startedEvent('held')], metadata: { orchestrationName: 'TestOrch' } }),
    );
    expect((await provider.read('held')).map((e) => e.kind)).toEqual(['OrchestrationStarted']);
  });

  it('an orchestration ack whose lock row vanished fails cleanly and the batch is fetched again', async () => {
    await provider.enqueueForOrchestrator(startItem('lost'));
    const first = await fetchInstance(provider, 'lost', 30_000);
    // What a server crash before the fetch's commit reached disk leaves behind: no lock, untagged messages.
    await db.raw.query(`DELETE FROM "${schema}".instance_locks WHERE instance_id = 'lost'`);
    await db.raw.query(
      `UPDATE "${schema}".orchestrator_queue SET lock_token = NULL WHERE instance_id = 'lost'`,
    );
    const err = await rejection(
      provider.ackOrchestrationItem(
        first.lockToken,
        emptyAck(1, { historyDelta: [startedEvent('lost')], metadata: { orchestrationName: 'TestOrch' } }),
      ),
    );
    expect(err.message).toMatch(/Invalid lock token/);
    expect(await provider.read('lost')).toEqual([]);
    const again = await fetchInstance(provider, 'lost', 30_000);
    expect(again.item.messages.map((m) => m.kind)).toEqual(['StartOrchestration']);
    expect(again.lockToken).not.toBe(first.lockToken);
    await provider.abandonOrchestrationItem(again.lockToken);
  });

  it("a worker fetch's lock is committed and honoured; an ack after it vanished fails cleanly", async () => {
    await provider.enqueueForWorker(activityItem('act', 1));
    const first = await provider.fetchWorkItem(30_000, 0, null, 'defaultOnly');
    expect(first?.item.id).toBe(1);
    const { rows } = await db.raw.query<{ lock_token: string }>(
      `SELECT lock_token FROM "${schema}".worker_queue WHERE instance_id = 'act'`,
    );
    expect(rows).toEqual([{ lock_token: first?.lockToken }]);
    expect(await provider.fetchWorkItem(30_000, 0, null, 'defaultOnly')).toBeNull();

    await db.raw.query(
      `UPDATE "${schema}".worker_queue SET lock_token = NULL, locked_until = NULL WHERE instance_id = 'act'`,
    );
    const err = await rejection(provider.ackWorkItem(first?.lockToken ?? '', null));
    expect(err.message).toMatch(/Invalid lock token/);
    const again = await provider.fetchWorkItem(30_000, 0, null, 'defaultOnly');
    expect(again?.item.id).toBe(1);
    await provider.ackWorkItem(again?.lockToken ?? '', null);
    expect(await provider.fetchWorkItem(30_000, 0, null, 'defaultOnly')).toBeNull();
  });
});
