import './support/pg-cjs-shim.js';
import { ManualClock, type OrchestratorItem } from '@duroxide/core';
import { activityItem, emptyAck, mustFetchOrch, startedEvent, startItem } from '@duroxide/provider-tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresProvider } from '../src/index.js';
import { usePostgres } from './support/test-db.js';

const db = usePostgres();

/** Real time a fetch is given to park on its notification wait before the test makes work appear. */
const SETTLE_MS = 50;
/** The poll timeout of waiting fetches: any wake far below it came from a notification or computed wake. */
const POLL_MS = 5_000;

/** Starts `fetch`, lets it park, runs `trigger`, and returns the result and ms from trigger start to wake. */
async function wakeLatency<T>(fetch: () => Promise<T>, trigger: () => Promise<unknown>) {
  const pending = fetch();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const start = performance.now();
  await trigger();
  const result = await pending;
  return { result, ms: performance.now() - start };
}

function describeSamples(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return `median ${median.toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms (${samples.map((s) => s.toFixed(1)).join(', ')})`;
}

describe('LISTEN/NOTIFY long polling across connections (wall clock)', () => {
  let waiter: PostgresProvider;
  let writer: PostgresProvider;
  beforeAll(async () => {
    const schema = db.schema('longpoll');
    // Two providers = two pools and two LISTEN connections, as in two processes.
    waiter = await PostgresProvider.connectWithSchema(db.url, schema, { poolSize: 2 });
    writer = await PostgresProvider.connectWithSchema(db.url, schema, { poolSize: 2 });
  });
  afterAll(async () => {
    await waiter.close();
    await writer.close();
  });

  it('an orchestration fetch wakes within milliseconds of an enqueue by another connection', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 8; i++) {
      const { result, ms } = await wakeLatency(
        () => waiter.fetchOrchestrationItem(30_000, POLL_MS),
        () => writer.enqueueForOrchestrator(startItem(`lp-orch-${i}`)),
      );
      expect(result?.item.instance).toBe(`lp-orch-${i}`);
      samples.push(ms);
      if (result) await waiter.abandonOrchestrationItem(result.lockToken);
      await writer.asManagementCapability().deleteInstancesAtomic([`lp-orch-${i}`], true);
    }
    console.info(`postgres orchestrator wake latency: ${describeSamples(samples)}`);
    expect(Math.max(...samples)).toBeLessThan(500);
  });

  it('a worker fetch wakes within milliseconds of an enqueue by another connection', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 8; i++) {
      const { result, ms } = await wakeLatency(
        () => waiter.fetchWorkItem(30_000, POLL_MS, null, 'defaultOnly'),
        () => writer.enqueueForWorker(activityItem(`lp-work-${i}`, 1)),
      );
      expect(result?.item.instance).toBe(`lp-work-${i}`);
      samples.push(ms);
      if (result) await waiter.ackWorkItem(result.lockToken, null);
    }
    console.info(`postgres worker wake latency: ${describeSamples(samples)}`);
    expect(Math.max(...samples)).toBeLessThan(500);
  });

  it('a timer becomes fetchable on time through the computed wake-up, with no notification at fire time', async () => {
    const instance = 'lp-timer';
    const fireInMs = 400;
    const timer: OrchestratorItem = { kind: 'TimerFired', instance, executionId: 1, id: 2, fireAtMs: 0 };
    await writer.enqueueForOrchestrator(startItem(instance));
    const first = await waiter.fetchOrchestrationItem(30_000, 0);
    if (!first) throw new Error('expected the start batch');
    const enqueuedAt = performance.now();
    await waiter.ackOrchestrationItem(
      first.lockToken,
      emptyAck(1, {
        historyDelta: [startedEvent(instance)],
        orchestratorItems: [{ ...timer, fireAtMs: Date.now() + fireInMs }],
        metadata: { orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' },
      }),
    );
    // The ack's notification has passed before this fetch starts: only the computed wake-up can find it.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const fetched = await waiter.fetchOrchestrationItem(30_000, POLL_MS);
    const elapsed = performance.now() - enqueuedAt;
    console.info(`postgres timer visible after ${elapsed.toFixed(1)} ms (fire at +${fireInMs} ms)`);
    expect(fetched?.item.messages.map((m) => m.kind)).toEqual(['TimerFired']);
    expect(elapsed).toBeGreaterThanOrEqual(fireInMs - 5);
    expect(elapsed).toBeLessThan(fireInMs + 250);
    if (fetched) await waiter.ackOrchestrationItem(fetched.lockToken, emptyAck());
  });

  it('an expiring instance lock wakes a waiting fetch at expiry, not at the poll timeout', async () => {
    const instance = 'lp-lock-expiry';
    await writer.enqueueForOrchestrator(startItem(instance));
    const held = await writer.fetchOrchestrationItem(300, 0);
    expect(held?.item.instance).toBe(instance);
    const start = performance.now();
    const taken = await waiter.fetchOrchestrationItem(30_000, POLL_MS);
    const elapsed = performance.now() - start;
    expect(taken?.item.instance).toBe(instance);
    expect(elapsed).toBeLessThan(300 + 250);
    if (taken) await waiter.abandonOrchestrationItem(taken.lockToken);
  });

  it('waitForInstanceChange wakes on a turn ack for that instance from another connection only', async () => {
    const watched = 'lp-watch-me';
    const other = 'lp-not-me';
    const fetchFor = (instance: string) => mustFetchOrch(writer, (i) => i === instance, 30_000);
    await writer.enqueueForOrchestrator(startItem(other));
    const otherTurn = await fetchFor(other);
    const { ms: otherMs } = await wakeLatency(
      () => waiter.waitForInstanceChange(watched, 600),
      () =>
        writer.ackOrchestrationItem(
          otherTurn.lockToken,
          emptyAck(1, { historyDelta: [startedEvent(other)] }),
        ),
    );
    expect(otherMs, 'a turn of another instance does not wake the waiter').toBeGreaterThan(400);
    const { ms: enqueueMs } = await wakeLatency(
      () => waiter.waitForInstanceChange(watched, 600),
      () => writer.enqueueForOrchestrator(startItem(watched)),
    );
    expect(enqueueMs, 'an enqueue changes nothing clients read: no wake').toBeGreaterThan(400);
    const turn = await fetchFor(watched);
    const { ms } = await wakeLatency(
      () => waiter.waitForInstanceChange(watched, POLL_MS),
      () =>
        writer.ackOrchestrationItem(turn.lockToken, emptyAck(1, { historyDelta: [startedEvent(watched)] })),
    );
    console.info(`postgres waitForInstanceChange wake: ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(500);
  });
});

describe('ManualClock', () => {
  it('advancing the clock wakes a waiting fetch so delayed work is found without real waiting', async () => {
    const clock = new ManualClock(Date.now());
    const provider = await PostgresProvider.connectWithSchema(db.url, db.schema('manual'), { clock });
    try {
      await provider.enqueueForOrchestrator(startItem('lp-manual'), 60_000);
      const { result, ms } = await wakeLatency(
        () => provider.fetchOrchestrationItem(30_000, POLL_MS),
        async () => clock.advance(60_000),
      );
      expect(result?.item.instance).toBe('lp-manual');
      expect(ms).toBeLessThan(500);
    } finally {
      await provider.close();
    }
  });

  it('close wakes a waiting fetch, which returns null', async () => {
    const provider = await PostgresProvider.connectWithSchema(db.url, db.schema('closing'));
    const { result, ms } = await wakeLatency(
      () => provider.fetchWorkItem(30_000, POLL_MS, null, 'any'),
      () => provider.close(),
    );
    expect(result).toBeNull();
    expect(ms).toBeLessThan(1_000);
  });
});
