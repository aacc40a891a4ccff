import { systemClock } from '@duroxide/core';
import { activityItem, startItem } from '@duroxide/provider-tests';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChangeFeed, type WakeToken } from '../src/change-feed.js';
import { RedisProvider } from '../src/index.js';
import { uniquePrefix, useRedisServer } from './support/redis-server.js';

const url = useRedisServer();

/** Resolves when `check()` holds, polling every 5 ms; fails after 5 s. */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Tracks which of several promises settled, and with what. */
function track<T>(promises: Promise<T>[]): { settled: Map<number, T> } {
  const settled = new Map<number, T>();
  for (const [i, p] of promises.entries()) void p.then((v) => settled.set(i, v));
  return { settled };
}

describe('ChangeFeed: one waiter per new item', () => {
  let subscriber: Redis;
  let publisher: Redis;
  let feed: ChangeFeed;
  const channel = uniquePrefix('feed');
  beforeAll(async () => {
    subscriber = new Redis(url());
    publisher = new Redis(url());
    feed = new ChangeFeed(subscriber, channel, systemClock);
    await feed.start();
  });
  afterAll(async () => {
    feed.close();
    subscriber.disconnect();
    publisher.disconnect();
  });
  afterEach(() => {
    expect(feed.waiterCount).toBe(0);
  });

  it('a counted flag wakes that many waiters, with tokens; a bare flag wakes the rest', async () => {
    const waits = [0, 1, 2].map(() => feed.waitForWork('worker', 'k', 5_000));
    const { settled } = track(waits);
    await publisher.publish(channel, 'w1|');
    await until(() => settled.size === 1);
    // Give a wrongly woken second waiter time to show up before asserting it did not.
    await new Promise((r) => setTimeout(r, 50));
    expect(settled.size).toBe(1);
    expect([...settled.values()][0]).not.toBeNull();
    expect(feed.waiterCount).toBe(2);
    await publisher.publish(channel, 'ow|');
    await Promise.all(waits);
    expect([...settled.values()].filter((t) => t === null)).toHaveLength(2);
  });

  it('orchestrator counts do not wake worker waiters', async () => {
    const worker = feed.waitForWork('worker', 'k', 5_000);
    const orch = feed.waitForWork('orchestrator', 'k', 5_000);
    const { settled } = track([worker, orch]);
    await publisher.publish(channel, 'o2|');
    await until(() => settled.size === 1);
    expect(settled.has(1)).toBe(true);
    await publisher.publish(channel, 'w|');
    await worker;
  });

  it('a token passed on skips waiters with a filter that already tried it', async () => {
    const first = feed.waitForWork('worker', 'a', 5_000);
    const sameFilter = feed.waitForWork('worker', 'a', 5_000);
    const otherFilter = feed.waitForWork('worker', 'b', 5_000);
    const { settled } = track([first, sameFilter, otherFilter]);
    await publisher.publish(channel, 'w1|');
    const token = (await first) as WakeToken;
    expect(token).not.toBeNull();
    feed.passOn(token, 'a');
    await until(() => settled.has(2));
    expect(settled.has(1)).toBe(false);
    const passed = settled.get(2) as WakeToken;
    // The last filter found nothing too: nobody is left, so fetches in flight with untried keys look again.
    const untried = feed.generation('worker', 'c');
    const tried = feed.generation('worker', 'a');
    feed.passOn(passed, 'b');
    expect(feed.generation('worker', 'c')).toBe(untried + 1);
    expect(feed.generation('worker', 'a')).toBe(tried);
    await publisher.publish(channel, 'w|');
    await sameFilter;
  });

  it('a token nobody waits for bumps the generation, so a fetch in flight looks again', async () => {
    const before = feed.generation('orchestrator', 'k');
    await publisher.publish(channel, 'o1|');
    await until(() => feed.generation('orchestrator', 'k') === before + 1);
  });
});

describe('RedisProvider: parked fetches and known-empty queues', () => {
  let waiter: RedisProvider;
  let writer: RedisProvider;
  let fetchCalls = 0;
  beforeAll(async () => {
    const keyPrefix = uniquePrefix('wakeone');
    waiter = await RedisProvider.connect(url(), { keyPrefix, recheckIntervalMs: 30_000 });
    writer = await RedisProvider.connect(url(), { keyPrefix });
    const run = waiter.runScript.bind(waiter);
    waiter.runScript = (op, name, args) => {
      if (name === 'fetchWork') fetchCalls += 1;
      return run(op, name, args);
    };
  });
  afterAll(async () => {
    await waiter.close();
    await writer.close();
  });

  it('one enqueue wakes one of three parked worker fetches: one more script call, not three', async () => {
    const feed = (waiter as unknown as { feed: ChangeFeed }).feed;
    const fetches = [0, 1, 2].map(() => waiter.fetchWorkItem(30_000, 5_000, null, 'any'));
    const { settled } = track(fetches);
    await until(() => feed.waiterCount === 3);
    const callsWhenParked = fetchCalls;
    await writer.enqueueForWorker(activityItem('wake-one-a', 1));
    await until(() => settled.size === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(fetchCalls - callsWhenParked).toBe(1);
    expect(settled.size).toBe(1);
    await writer.enqueueForWorker(activityItem('wake-one-b', 1));
    await writer.enqueueForWorker(activityItem('wake-one-c', 1));
    const items = await Promise.all(fetches);
    expect(items.map((i) => i?.item.instance).sort()).toEqual(['wake-one-a', 'wake-one-b', 'wake-one-c']);
    for (const i of items) if (i) await waiter.ackWorkItem(i.lockToken, null);
  });

  it('a fetch with poll timeout 0 always looks, even before a notification arrived', async () => {
    expect(await waiter.fetchOrchestrationItem(30_000, 50)).toBeNull();
    // Written on another connection: this process has seen no notification yet when it fetches.
    await writer.enqueueForOrchestrator(startItem('wake-one-zero'));
    const got = await waiter.fetchOrchestrationItem(30_000, 0);
    expect(got?.item.instance).toBe('wake-one-zero');
    if (got) await waiter.abandonOrchestrationItem(got.lockToken);
    await waiter.asManagementCapability().deleteInstancesAtomic(['wake-one-zero'], true);
  });

  it('a known-empty queue still yields work whose lock expires, without any notification', async () => {
    await writer.enqueueForWorker(activityItem('wake-one-expiry', 1));
    const held = await writer.fetchWorkItem(300, 1_000, null, 'any');
    expect(held?.item.instance).toBe('wake-one-expiry');
    // Empty now; the reply names the lock expiry as the next fetchable time.
    expect(await waiter.fetchWorkItem(30_000, 20, null, 'any')).toBeNull();
    const start = performance.now();
    const got = await waiter.fetchWorkItem(30_000, 5_000, null, 'any');
    expect(got?.item.instance).toBe('wake-one-expiry');
    // Woken by the visibility time (the recheck interval is 30 s).
    expect(performance.now() - start).toBeLessThan(2_000);
    if (got) await waiter.ackWorkItem(got.lockToken, null);
  });

  it('a hit that leaves rows behind does not mark the queue empty: rows enqueued unseen are all fetched', async () => {
    const keyPrefix = uniquePrefix('wakeone-backlog');
    const early = await RedisProvider.connect(url(), { keyPrefix });
    // Enqueued before the fetching provider subscribed: it gets no notification for any of these.
    for (let i = 0; i < 6; i++) await early.enqueueForWorker(activityItem(`backlog-${i}`, 1));
    const late = await RedisProvider.connect(url(), { keyPrefix, recheckIntervalMs: 30_000 });
    try {
      const start = performance.now();
      const got: string[] = [];
      for (let i = 0; i < 6; i++) {
        const item = await late.fetchWorkItem(30_000, 5_000, null, 'any');
        if (item) got.push(item.item.instance);
      }
      expect(got.sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `backlog-${i}`));
      // No fetch waited for a notification or the recheck interval.
      expect(performance.now() - start).toBeLessThan(1_000);
      // The last hit drained the queue: the next fetch waits without a round trip and still wakes for new work.
      const calls = { n: 0 };
      const run = late.runScript.bind(late);
      late.runScript = (op, name, args) => {
        if (name === 'fetchWork') calls.n += 1;
        return run(op, name, args);
      };
      const pending = late.fetchWorkItem(30_000, 5_000, null, 'any');
      await new Promise((r) => setTimeout(r, 50));
      expect(calls.n).toBe(0);
      await early.enqueueForWorker(activityItem('backlog-late', 1));
      expect((await pending)?.item.instance).toBe('backlog-late');
    } finally {
      await late.close();
      await early.close();
    }
  });

  it('commands issued in one turn keep their own outcomes: a failing ack does not fail its neighbours', async () => {
    await writer.enqueueForWorker(activityItem('wake-one-iso', 1));
    const item = await waiter.fetchWorkItem(30_000, 1_000, null, 'any');
    expect(item).not.toBeNull();
    const results = await Promise.allSettled([
      waiter.ackWorkItem('lock_never-issued', null),
      waiter.renewWorkItemLock(item?.lockToken ?? '', 30_000),
      waiter.getInstanceStats('wake-one-iso'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/Invalid lock token/);
    await waiter.ackWorkItem(item?.lockToken ?? '', null);
  });
});
