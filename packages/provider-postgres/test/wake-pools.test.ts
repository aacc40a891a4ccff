import './support/pg-cjs-shim.js';
import type { ActivityExecuteItem, FetchedWorkItem } from '@duroxide/core';
import { emptyAck, fetchInstance, startItem } from '@duroxide/provider-tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresProvider } from '../src/index.js';
import { usePostgres } from './support/test-db.js';

const db = usePostgres();

function activity(instance: string, id: number, sessionId?: string): ActivityExecuteItem {
  return {
    kind: 'ActivityExecute',
    instance,
    executionId: 1,
    id,
    name: 'A',
    input: '{}',
    ...(sessionId === undefined ? {} : { sessionId }),
  };
}

/** How many fetches of `provider` are waiting for a notification (the notifier's waiter set). */
function waiting(provider: PostgresProvider): number {
  return (provider as unknown as { notifier: { waiters: Set<unknown> } }).notifier.waiters.size;
}

/** Counts the worker fetch queries `provider` sends from now on. */
function countFetchQueries(provider: PostgresProvider): { readonly count: number } {
  const db = (provider as unknown as { db: { query: (op: string, ...rest: unknown[]) => Promise<unknown> } })
    .db;
  const counter = { count: 0 };
  const original = db.query.bind(db);
  db.query = (op: string, ...rest: unknown[]) => {
    if (op === 'fetchWorkItem') counter.count += 1;
    return original(op, ...rest);
  };
  return counter;
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not reached within 5 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Starts one waiting session-aware fetch per owner, in order, each waiting before the next starts. */
async function waitingFetches(provider: PostgresProvider, owners: string[], pollMs: number) {
  const started = performance.now();
  const fetches: Promise<{ owner: string; item: FetchedWorkItem | null; ms: number }>[] = [];
  for (const owner of owners) {
    const before = waiting(provider);
    fetches.push(
      provider
        .fetchWorkItem(30_000, pollMs, { ownerId: owner, lockTimeoutMs: 30_000 }, 'any')
        .then((item) => ({ owner, item, ms: performance.now() - started })),
    );
    await until(() => waiting(provider) === before + 1);
  }
  return fetches;
}

describe('worker wake-ups: plain activities wake one fetch per tag filter, session work its owners', () => {
  let waiter: PostgresProvider;
  let writer: PostgresProvider;

  beforeAll(async () => {
    const schema = db.schema('wakepool');
    waiter = await PostgresProvider.connectWithSchema(db.url, schema);
    writer = await PostgresProvider.connectWithSchema(db.url, schema);
  });
  afterAll(async () => {
    await waiter.close();
    await writer.close();
  });

  it('an activity with no session wakes one of two fetches with different session owners', async () => {
    const pollMs = 1_500;
    const queries = countFetchQueries(waiter);
    const fetches = await waitingFetches(waiter, ['owner-a', 'owner-b'], pollMs);
    await writer.enqueueForWorker(activity('pool-plain', 1));
    const results = await Promise.all(fetches);
    // Two first attempts, one after the wake, one when the idle fetch's poll ends: no query for a
    // fetch that could only have found nothing.
    expect(queries.count).toBe(4);
    const taken = results.filter((r) => r.item !== null);
    expect(taken).toHaveLength(1);
    expect(taken[0]!.ms, 'the woken fetch returned on the notification').toBeLessThan(pollMs);
    const idle = results.find((r) => r.item === null);
    expect(idle!.ms, 'the other one was left waiting').toBeGreaterThanOrEqual(pollMs - 50);
    await waiter.ackWorkItem(taken[0]!.item!.lockToken, null);
  });

  it('an activity of a session owned by the later waiter wakes that owner, not only the first in line', async () => {
    // owner-y claims session s1 and keeps it (its lease is live).
    await writer.enqueueForWorker(activity('pool-session', 1, 's1'));
    const claim = await waiter.fetchWorkItem(30_000, 0, { ownerId: 'owner-y', lockTimeoutMs: 30_000 }, 'any');
    expect(claim?.item.sessionId).toBe('s1');
    await waiter.ackWorkItem(claim!.lockToken, null);

    const pollMs = 2_000;
    const fetches = await waitingFetches(waiter, ['owner-x', 'owner-y'], pollMs);
    await writer.enqueueForWorker(activity('pool-session', 2, 's1'));
    const [x, y] = fetches;
    const got = await y!;
    expect(got.item?.item.sessionId).toBe('s1');
    expect(got.ms, 'the owner woke on the notification').toBeLessThan(pollMs);
    await waiter.ackWorkItem(got.item!.lockToken, null);
    expect((await x!).item, 'owner-x may not take session s1').toBeNull();
  });

  it('a turn queuing two plain activities wakes two of three waiting fetches', async () => {
    const instance = 'pool-turn';
    await writer.enqueueForOrchestrator(startItem(instance));
    const fetched = await fetchInstance(writer, instance, 30_000);
    const pollMs = 1_500;
    const queries = countFetchQueries(waiter);
    const fetches = await waitingFetches(waiter, ['owner-1', 'owner-2', 'owner-3'], pollMs);
    await writer.ackOrchestrationItem(
      fetched.lockToken,
      emptyAck(1, {
        workerItems: [activity(instance, 1), activity(instance, 2)],
        metadata: { orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' },
      }),
    );
    const results = await Promise.all(fetches);
    expect(queries.count, 'three first attempts, two woken, one at the end of the idle poll').toBe(6);
    const taken = results.filter((r) => r.item !== null);
    expect(taken.map((r) => r.item!.item.id).sort()).toEqual([1, 2]);
    for (const r of taken) expect(r.ms).toBeLessThan(pollMs);
    const idle = results.filter((r) => r.item === null);
    expect(idle).toHaveLength(1);
    expect(idle[0]!.ms, 'the third was left waiting').toBeGreaterThanOrEqual(pollMs - 50);
    for (const r of taken) await waiter.ackWorkItem(r.item!.lockToken, null);
  });
});
