import { type ActivityExecuteItem, ManualClock, type Provider } from '@duroxide/core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteProvider, sqliteTestHooks } from '../src/index.js';
import { since, start, tempDir } from './helpers.js';

const dir = tempDir('long-poll');
afterAll(() => dir.cleanup());
let files = 0;
const newFile = () => dir.path(`lp-${++files}.db`);

const activity = (instance: string, id = 1): ActivityExecuteItem => ({
  kind: 'ActivityExecute',
  instance,
  executionId: 1,
  id,
  name: 'A',
  input: '{}',
});

async function withMemory(body: (p: SqliteProvider) => Promise<void>, clock?: ManualClock): Promise<void> {
  const provider = await SqliteProvider.inMemory(clock ? { clock } : {});
  try {
    await body(provider);
  } finally {
    await provider.close();
  }
}

/** Starts `fetch`, runs `trigger` after 20 ms, returns ms from the trigger to the fetch settling. */
async function wakeLatency<T>(fetch: () => Promise<T | null>, trigger: () => Promise<void>): Promise<number> {
  const pending = fetch();
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  await trigger();
  const result = await pending;
  expect(result, 'the fetch returns the work that woke it').not.toBeNull();
  return since(t0);
}

function summarize(label: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(
    `${label}: median ${median.toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms (n=${samples.length})`,
  );
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('long polling', () => {
  it('wakes a waiting orchestration fetch within milliseconds of an enqueue (in-process signal)', () =>
    withMemory(async (p) => {
      const samples: number[] = [];
      for (let i = 0; i < 20; i++) {
        const latency = await wakeLatency(
          () => p.fetchOrchestrationItem(30_000, 5_000),
          () => p.enqueueForOrchestrator(start(`wake-o-${i}`)),
        );
        samples.push(latency);
      }
      summarize('orchestration fetch wake after enqueue', samples);
      for (const s of samples) expect(s).toBeLessThan(100);
    }));

  it('wakes a waiting work-item fetch within milliseconds of an enqueue', () =>
    withMemory(async (p) => {
      const samples: number[] = [];
      for (let i = 0; i < 20; i++) {
        samples.push(
          await wakeLatency(
            () => p.fetchWorkItem(30_000, 5_000, null, 'defaultOnly'),
            () => p.enqueueForWorker(activity(`wake-w-${i}`)),
          ),
        );
      }
      summarize('work-item fetch wake after enqueue', samples);
      for (const s of samples) expect(s).toBeLessThan(100);
    }));

  it('two provider objects on one file wake each other', async () => {
    const file = newFile();
    const a = await SqliteProvider.open(file);
    const b = await SqliteProvider.open(`sqlite:${file}`);
    try {
      const latency = await wakeLatency(
        () => a.fetchWorkItem(30_000, 5_000, null, 'defaultOnly'),
        () => b.enqueueForWorker(activity('two-objects')),
      );
      summarize('wake across two provider objects on one file', [latency]);
      expect(latency).toBeLessThan(100);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('sees a commit from another connection (no in-process signal) within one ~50 ms check', async () => {
    const file = newFile();
    const p = await SqliteProvider.open(file);
    const other = new Database(file);
    try {
      const latency = await wakeLatency(
        () => p.fetchOrchestrationItem(30_000, 5_000),
        async () => {
          other
            .prepare(
              'INSERT INTO orchestrator_queue (instance_id, work_item, visible_at, created_at) VALUES (?, ?, 0, 0)',
            )
            .run('foreign', JSON.stringify(start('foreign')));
        },
      );
      summarize('wake after a foreign connection commit (data_version check)', [latency]);
      expect(latency).toBeLessThan(200);
    } finally {
      other.close();
      await p.close();
    }
  });

  it('a ManualClock advance wakes a fetch waiting for a delayed message', async () => {
    const clock = new ManualClock(1_000_000);
    await withMemory(async (p) => {
      await p.enqueueForOrchestrator(start('delayed'), 60_000);
      const pending = p.fetchOrchestrationItem(30_000, 5_000);
      await new Promise((r) => setTimeout(r, 20));
      const t0 = performance.now();
      clock.advance(60_000);
      const got = await pending;
      expect(got?.item.instance).toBe('delayed');
      expect(since(t0)).toBeLessThan(100);
    }, clock);
  });

  it('with a real clock, wakes at the next visible_at (computed, not polled)', () =>
    withMemory(async (p) => {
      await p.enqueueForOrchestrator(start('soon'), 150);
      const t0 = performance.now();
      const got = await p.fetchOrchestrationItem(30_000, 3_000);
      const elapsed = since(t0);
      expect(got?.item.instance).toBe('soon');
      expect(elapsed).toBeGreaterThanOrEqual(140);
      expect(elapsed).toBeLessThan(400);
    }));

  it('with a real clock, wakes when a lock on queued work expires', () =>
    withMemory(async (p) => {
      await p.enqueueForWorker(activity('expiring'));
      const first = await p.fetchWorkItem(120, 0, null, 'defaultOnly');
      expect(first).not.toBeNull();
      const t0 = performance.now();
      const again = await p.fetchWorkItem(30_000, 3_000, null, 'defaultOnly');
      expect(again?.attemptCount).toBe(2);
      expect(since(t0)).toBeLessThan(400);
    }));

  it('close() wakes waiting fetches with null and leaves no listener or timer behind', async () => {
    const clock = new ManualClock();
    const p = await SqliteProvider.open(newFile(), { clock });
    const timersBefore = activeTimers();
    const orch = p.fetchOrchestrationItem(30_000, 10_000);
    const work = p.fetchWorkItem(30_000, 10_000, null, 'any');
    const change = p.waitForInstanceChange('x', 10_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(sqliteTestHooks.listenerCount(p)).toBe(3);
    const t0 = performance.now();
    await p.close();
    expect(await orch).toBeNull();
    expect(await work).toBeNull();
    await change;
    expect(since(t0)).toBeLessThan(100);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
    await expect(p.fetchOrchestrationItem(1000, 0)).rejects.toThrow(/closed/);
  });

  it('pollTimeoutMs 0 returns at once and timed-out polls leak nothing', () =>
    withMemory(async (p) => {
      const t0 = performance.now();
      expect(await p.fetchOrchestrationItem(1000, 0)).toBeNull();
      expect(await p.fetchWorkItem(1000, 0, null, 'any')).toBeNull();
      expect(since(t0)).toBeLessThan(50);
      const timersBefore = activeTimers();
      for (let i = 0; i < 5; i++) {
        expect(await p.fetchOrchestrationItem(1000, 30)).toBeNull();
        expect(await p.fetchWorkItem(1000, 30, null, 'any')).toBeNull();
      }
      expect(sqliteTestHooks.listenerCount(p)).toBe(0);
      expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
    }));

  it('unsubscribes from the ManualClock after every wait', async () => {
    let live = 0;
    class CountingClock extends ManualClock {
      override onAdvance(listener: () => void): () => void {
        live += 1;
        const off = super.onAdvance(listener);
        return () => {
          live -= 1;
          return off();
        };
      }
    }
    const clock = new CountingClock();
    await withMemory(async (p) => {
      const pending = p.fetchOrchestrationItem(1000, 5_000);
      await new Promise((r) => setTimeout(r, 10));
      expect(live).toBe(1);
      await p.enqueueForOrchestrator(start('counted'));
      expect(await pending).not.toBeNull();
      expect(live).toBe(0);
    }, clock);
  });
});

describe('waitForInstanceChange', () => {
  /** Ms from `action` until a wait (bounded at 300 ms) for `instance` resolves. */
  async function settlesWithin(p: Provider, instance: string, action: () => Promise<void>): Promise<number> {
    const waiting = p.waitForInstanceChange(instance, 300);
    await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    await action();
    await waiting;
    return since(t0);
  }

  it('resolves on a turn ack, not on an enqueue or a worker ack (they change nothing clients read)', () =>
    withMemory(async (p) => {
      expect(await settlesWithin(p, 'c1', () => p.enqueueForOrchestrator(start('c1')))).toBeGreaterThan(100);
      const fetched = await p.fetchOrchestrationItem(30_000, 0);
      expect(fetched).not.toBeNull();
      const ack = () =>
        p.ackOrchestrationItem(fetched!.lockToken, {
          executionId: 1,
          historyDelta: [],
          workerItems: [activity('c1')],
          orchestratorItems: [],
          metadata: {},
          cancelledActivities: [],
        });
      expect(await settlesWithin(p, 'c1', ack)).toBeLessThan(100);
      const work = await p.fetchWorkItem(30_000, 0, null, 'defaultOnly');
      const done = () =>
        p.ackWorkItem(work!.lockToken, {
          kind: 'ActivityCompleted',
          instance: 'c1',
          executionId: 1,
          id: 1,
          result: '1',
        });
      expect(await settlesWithin(p, 'c1', done)).toBeGreaterThan(100);
      expect(sqliteTestHooks.listenerCount(p)).toBe(0);
    }));

  it('ignores commits for other instances and resolves at its timeout', () =>
    withMemory(async (p) => {
      const t0 = performance.now();
      const waiting = p.waitForInstanceChange('mine', 150);
      await p.enqueueForOrchestrator(start('not-mine'));
      await waiting;
      expect(since(t0)).toBeGreaterThanOrEqual(140);
      expect(sqliteTestHooks.listenerCount(p)).toBe(0);
    }));
});
