import './support/pg-cjs-shim.js';
import type { ActivityExecuteItem, FetchedWorkItem } from '@duroxide/core';
import { emptyAck, fetchInstance, startItem } from '@duroxide/provider-tests';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
  let schema: string;
  // A fresh waiting provider per test: what it knows about empty pools must not leak between tests.
  let waiter: PostgresProvider;
  let writer: PostgresProvider;

  beforeAll(async () => {
    schema = db.schema('wakepool');
    writer = await PostgresProvider.connectWithSchema(db.url, schema);
  });
  beforeEach(async () => {
    waiter = await PostgresProvider.connectWithSchema(db.url, schema);
  });
  afterEach(async () => {
    await waiter.close();
  });
  afterAll(async () => {
    await writer.close();
  });

  it('an activity with no session wakes one of two fetches with different session owners', async () => {
    const pollMs = 1_500;
    const queries = countFetchQueries(waiter);
    const fetches = await waitingFetches(waiter, ['owner-a', 'owner-b'], pollMs);
    await writer.enqueueForWorker(activity('pool-plain', 1));
    const results = await Promise.all(fetches);
    // The first fetch's empty answer holds for every owner, so the second waits without querying; the
    // notification picks one of them, which queries; the other one's poll ends without a query.
    expect(queries.count).toBe(2);
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
    expect(queries.count, 'the first empty answer, then the two picked fetches').toBe(3);
    const taken = results.filter((r) => r.item !== null);
    expect(taken.map((r) => r.item!.item.id).sort()).toEqual([1, 2]);
    for (const r of taken) expect(r.ms).toBeLessThan(pollMs);
    const idle = results.filter((r) => r.item === null);
    expect(idle).toHaveLength(1);
    expect(idle[0]!.ms, 'the third was left waiting').toBeGreaterThanOrEqual(pollMs - 50);
    for (const r of taken) await waiter.ackWorkItem(r.item!.lockToken, null);
  });
});

describe('known-empty pools: fetches wait without querying while no fetch of their tag filter could find work', () => {
  let schema: string;
  let waiter: PostgresProvider;
  let writer: PostgresProvider;

  beforeAll(async () => {
    schema = db.schema('emptypool');
    writer = await PostgresProvider.connectWithSchema(db.url, schema);
  });
  beforeEach(async () => {
    waiter = await PostgresProvider.connectWithSchema(db.url, schema);
  });
  afterEach(async () => {
    await waiter.close();
  });
  afterAll(async () => {
    await writer.close();
  });

  const session = (ownerId: string) => ({ ownerId, lockTimeoutMs: 30_000 });

  it('after an empty answer, later fetches skip the query until a notification, then find the work', async () => {
    const queries = countFetchQueries(waiter);
    expect(await waiter.fetchWorkItem(30_000, 150, session('o1'), 'any')).toBeNull();
    expect(await waiter.fetchWorkItem(30_000, 150, session('o2'), 'any')).toBeNull();
    expect(queries.count, 'only the first fetch asked').toBe(1);
    await writer.enqueueForWorker(activity('empty-notified', 1));
    const started = performance.now();
    const item = await waiter.fetchWorkItem(30_000, 5_000, session('o3'), 'any');
    expect(item?.item.instance).toBe('empty-notified');
    expect(performance.now() - started).toBeLessThan(2_000);
    await waiter.ackWorkItem(item!.lockToken, null);
  });

  it("a takeable activity of another owner's session keeps every fetch querying, and its owner gets it at once", async () => {
    await writer.enqueueForWorker(activity('empty-session', 1, 's9'));
    await writer.enqueueForWorker(activity('empty-session', 2, 's9'));
    const held = await writer.fetchWorkItem(30_000, 0, session('owner-y'), 'any');
    expect(held?.item.sessionId).toBe('s9');
    const queries = countFetchQueries(waiter);
    // owner-x cannot take s9's second activity, but its empty answer is not one for every owner.
    expect(await waiter.fetchWorkItem(30_000, 150, session('owner-x'), 'any')).toBeNull();
    // At least the first attempt and the one at the end of the poll (the enqueues' notifications may
    // arrive during the first and make it ask again).
    expect(queries.count, 'the poll ended with a query').toBeGreaterThanOrEqual(2);
    const started = performance.now();
    const mine = await waiter.fetchWorkItem(30_000, 5_000, session('owner-y'), 'any');
    expect(mine?.item.id).toBe(2);
    expect(performance.now() - started, 'owner-y did not wait for a notification').toBeLessThan(1_000);
    await waiter.ackWorkItem(mine!.lockToken, null);
    await writer.ackWorkItem(held!.lockToken, null);
  });

  it('an activity abandoned with a delay is fetched when it becomes visible, with no notification then', async () => {
    await writer.enqueueForWorker(activity('empty-delayed', 1));
    const first = await writer.fetchWorkItem(30_000, 0, null, 'any');
    expect(first).not.toBeNull();
    await writer.abandonWorkItem(first!.lockToken, { delayMs: 300 });
    const started = performance.now();
    const timed = (ownerId: string, pollMs: number) =>
      waiter
        .fetchWorkItem(30_000, pollMs, session(ownerId), 'any')
        .then((item) => ({ item, ms: performance.now() - started }));
    const results = await Promise.all([timed('d1', 3_000), timed('d2', 1_000)]);
    const got = results.filter((r) => r.item !== null);
    expect(got).toHaveLength(1);
    expect(got[0]!.item!.item.instance).toBe('empty-delayed');
    expect(got[0]!.ms, 'fetched at its visibility time, not at the end of its poll').toBeLessThan(900);
    expect(got[0]!.ms).toBeGreaterThanOrEqual(250);
    await waiter.ackWorkItem(got[0]!.item!.lockToken, null);
  });
});
