import type { ActivityContext, OrchestrationContext } from '@duroxide/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, type Harness, harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('runtime end to end on SQLite: activity locks and cancellation', () => {
  it('keeps a long activity alive by renewing its lock (runs exactly once)', async () => {
    // A 300 ms lock renewed every 150 ms; the activity runs 4 lock lifetimes.
    h = await harness({
      workerLockTimeoutMs: 300,
      workerLockRenewalBufferMs: 100,
      sessionIdleTimeoutMs: 10_000,
    });
    let runs = 0;
    h.runtime.registerActivity('Long', async () => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      return 'finished';
    });
    h.runtime.registerOrchestration('UsesLong', async (ctx: OrchestrationContext) =>
      ctx.scheduleActivity('Long'),
    );
    await h.start();
    await h.client.startOrchestration('long-1', 'UsesLong');
    const result = await h.client.waitForOrchestration('long-1', 10_000);
    expect(result.output).toBe('finished');
    expect(runs).toBe(1);
    expect(h.runtime.metricsSnapshot()).toMatchObject({
      activitySuccess: 1,
      activityInfraErrors: 0,
      activityCancelled: 0,
    });
  });

  it('cancels an activity that loses a race: its signal aborts and its result is dropped', async () => {
    // Default 30 s worker lock: the renewal tick would take 25 s, so this also proves the in-process fast
    // path (a turn committed here re-checks the lock of the activities it cancels at once).
    h = await harness();
    let seen: ActivityContext | undefined;
    let finishedAfterAbort = false;
    h.runtime.registerActivity('Slow', async (ctx) => {
      seen = ctx;
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      finishedAfterAbort = ctx.isCancelled();
      return 'too late';
    });
    h.runtime.registerOrchestration('Racer', async (ctx: OrchestrationContext) => {
      const winner = await ctx.race(ctx.scheduleActivity<string>('Slow'), ctx.scheduleTimer(50));
      return winner.index === 1 ? 'timer won' : `activity won: ${String(winner.value)}`;
    });
    await h.start();
    await h.client.startOrchestration('race-1', 'Racer');
    const result = await h.client.waitForOrchestration('race-1', 5_000);
    const completedAt = performance.now();
    expect(result.output).toBe('timer won');
    await eventually(() => h!.runtime.metricsSnapshot().activityCancelled === 1);
    expect(performance.now() - completedAt).toBeLessThan(500);
    expect(seen?.signal.aborted).toBe(true);
    expect(finishedAfterAbort).toBe(true);
    const history = await h.client.readExecutionHistory('race-1', 1);
    expect(history.some((e) => e.kind === 'ActivityCompleted')).toBe(false);
    expect(h.runtime.metricsSnapshot().activitySuccess).toBe(0);
  });

  it('gives activities a working client', async () => {
    h = await harness();
    h.runtime.registerActivity('Inspect', async (ctx) => {
      const status = await ctx.getClient().getStatus(ctx.instanceId);
      return `${ctx.orchestrationName}@${ctx.orchestrationVersion} is ${status.status}; activity #${ctx.activityId}`;
    });
    h.runtime.registerOrchestrationVersioned('Inspector', '2.3.0', async (ctx: OrchestrationContext) =>
      ctx.scheduleActivity('Inspect'),
    );
    await h.start();
    await h.client.startOrchestration('inspect-1', 'Inspector');
    const result = await h.client.waitForOrchestration('inspect-1', 5_000);
    const history = await h.client.readExecutionHistory('inspect-1', 1);
    const scheduled = history.find((e) => e.kind === 'ActivityScheduled');
    expect(result.output).toBe(`Inspector@2.3.0 is Running; activity #${scheduled?.eventId}`);
  });
});
