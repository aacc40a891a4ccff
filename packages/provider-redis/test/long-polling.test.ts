import { ManualClock } from '@duroxide/core';
import { activityItem, emptyAck, mustFetchOrch, startedEvent, startItem } from '@duroxide/provider-tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisProvider } from '../src/index.js';
import { uniquePrefix, useRedisServer } from './support/redis-server.js';

const url = useRedisServer();

/** Starts `fetch` (a long poll), waits until it is parked, runs `trigger`, and returns ms from trigger to wake. */
async function wakeLatency<T>(
  fetch: () => Promise<T>,
  trigger: () => Promise<unknown>,
): Promise<{ result: T; ms: number }> {
  const pending = fetch();
  await new Promise((r) => setTimeout(r, 100));
  const start = performance.now();
  await trigger();
  const result = await pending;
  return { result, ms: performance.now() - start };
}

describe('long polling across processes (two connections, wall clock)', () => {
  let waiter: RedisProvider;
  let writer: RedisProvider;
  beforeAll(async () => {
    const keyPrefix = uniquePrefix('longpoll');
    // Two providers = two command connections and two subscribers, as in two processes.
    waiter = await RedisProvider.connect(url(), { keyPrefix });
    writer = await RedisProvider.connect(url(), { keyPrefix });
  });
  afterAll(async () => {
    await waiter.close();
    await writer.close();
  });

  it('an orchestration fetch wakes within milliseconds of an enqueue by another connection', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { result, ms } = await wakeLatency(
        () => waiter.fetchOrchestrationItem(30_000, 5_000),
        () => writer.enqueueForOrchestrator(startItem(`lp-orch-${i}`)),
      );
      expect(result?.item.instance).toBe(`lp-orch-${i}`);
      samples.push(ms);
      if (result) await waiter.abandonOrchestrationItem(result.lockToken);
      await waiter.asManagementCapability().deleteInstancesAtomic([`lp-orch-${i}`], true);
    }
    console.info(`redis orchestrator wake latency ms: ${samples.map((s) => s.toFixed(1)).join(', ')}`);
    // The poll timeout is 5 s; a wake must come from the notification, far sooner.
    expect(Math.max(...samples)).toBeLessThan(250);
  });

  it('a worker fetch wakes within milliseconds of an enqueue by another connection', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { result, ms } = await wakeLatency(
        () => waiter.fetchWorkItem(30_000, 5_000, null, 'defaultOnly'),
        () => writer.enqueueForWorker(activityItem(`lp-work-${i}`, 1)),
      );
      expect(result?.item.instance).toBe(`lp-work-${i}`);
      samples.push(ms);
      if (result) await waiter.ackWorkItem(result.lockToken, null);
    }
    console.info(`redis worker wake latency ms: ${samples.map((s) => s.toFixed(1)).join(', ')}`);
    expect(Math.max(...samples)).toBeLessThan(250);
  });

  it('a delayed message wakes a waiting fetch at its visibility time, not at the poll timeout', async () => {
    const start = performance.now();
    await writer.enqueueForOrchestrator(startItem('lp-delayed'), 400);
    const fetched = await waiter.fetchOrchestrationItem(30_000, 5_000);
    const elapsed = performance.now() - start;
    expect(fetched?.item.instance).toBe('lp-delayed');
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(1000);
    if (fetched) await waiter.abandonOrchestrationItem(fetched.lockToken);
    await waiter.asManagementCapability().deleteInstancesAtomic(['lp-delayed'], true);
  });

  it('waitForInstanceChange wakes on a turn ack for that instance by another connection only', async () => {
    const other = await wakeLatency(
      () => waiter.waitForInstanceChange('lp-watch', 400),
      () => writer.enqueueForOrchestrator(startItem('lp-unrelated')),
    );
    expect(other.ms, 'an unrelated instance does not wake the wait').toBeGreaterThan(250);
    const enqueued = await wakeLatency(
      () => waiter.waitForInstanceChange('lp-watch', 400),
      () => writer.enqueueForOrchestrator(startItem('lp-watch')),
    );
    expect(enqueued.ms, 'an enqueue changes nothing clients read: no wake').toBeGreaterThan(250);
    const turn = await mustFetchOrch(writer, (i) => i === 'lp-watch', 30_000);
    const own = await wakeLatency(
      () => waiter.waitForInstanceChange('lp-watch', 5_000),
      () =>
        writer.ackOrchestrationItem(
          turn.lockToken,
          emptyAck(1, { historyDelta: [startedEvent('lp-watch')] }),
        ),
    );
    expect(own.ms).toBeLessThan(250);
    await waiter.asManagementCapability().deleteInstancesAtomic(['lp-watch', 'lp-unrelated'], true);
  });

  it('an empty fetch returns at its timeout, never more than 200 ms late', async () => {
    const start = performance.now();
    expect(await waiter.fetchWorkItem(30_000, 300, null, 'defaultOnly')).toBeNull();
    const elapsed = performance.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(500);
  });
});

describe('long polling with a ManualClock', () => {
  it('advancing the clock wakes a fetch waiting for a delayed message', async () => {
    const clock = new ManualClock();
    const provider = await RedisProvider.connect(url(), { keyPrefix: uniquePrefix('manual'), clock });
    try {
      await provider.enqueueForOrchestrator(startItem('manual-timer'), 60_000);
      const pending = provider.fetchOrchestrationItem(30_000, 5_000);
      await new Promise((r) => setTimeout(r, 100));
      const start = performance.now();
      clock.advance(60_000);
      const fetched = await pending;
      expect(fetched?.item.instance).toBe('manual-timer');
      expect(performance.now() - start).toBeLessThan(250);
    } finally {
      await provider.close();
    }
  });

  it('close() wakes a waiting fetch, which returns null, and later calls fail permanently', async () => {
    const provider = await RedisProvider.connect(url(), {
      keyPrefix: uniquePrefix('close'),
      clock: new ManualClock(),
    });
    const pending = provider.fetchWorkItem(30_000, 10_000, null, 'any');
    await new Promise((r) => setTimeout(r, 100));
    const start = performance.now();
    await provider.close();
    expect(await pending).toBeNull();
    expect(performance.now() - start).toBeLessThan(500);
    await expect(provider.read('x')).rejects.toMatchObject({ code: 'PROVIDER', retryable: false });
  });
});
