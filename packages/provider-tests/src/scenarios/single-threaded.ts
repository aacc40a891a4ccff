import { expect } from 'vitest';
import { abortedOrAfter, scenarioIt } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** One orchestration slot and one worker slot: everything must still work. */
const SINGLE = { orchestrationConcurrency: 1, workerConcurrency: 1 } as const;

/** Checklist 81: a single-threaded host runtime (1 × 1 concurrency). */
export function singleThreadedScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[81] activities, fan-out, timers, events, sub-orchestrations, KV and CAN with 1×1 concurrency', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Double', async (_ctx, n: number) => n * 2);
      rt.registerOrchestration('Child', async (ctx, n: number) => ctx.scheduleActivity<number>('Double', n));
      rt.registerOrchestration('Everything', async (ctx, gen: number) => {
        const fan = await ctx.all([1, 2, 3].map((n) => ctx.scheduleActivity<number>('Double', n)));
        await ctx.scheduleTimer(5);
        // Explicit per-generation child ids (auto ids are unique per execution too; this checks explicit ones).
        const child = await ctx.scheduleSubOrchestration<number>('Child', 10, {
          instanceId: `${ctx.instanceId}-child-${gen}`,
        });
        ctx.setValue(`gen${gen}`, String(child));
        if (gen === 1) return ctx.continueAsNew(2);
        const event = await ctx.waitForEvent<string>('finish');
        return { fan: fan.map((r) => ('ok' in r ? r.ok : r.err)), child, event, kv: ctx.getKvAllKeys() };
      });
    }, SINGLE);
    const id = s.id('single');
    await s.client.startOrchestration(id, 'Everything', 1);
    await s.waitForSubscription(id, 'finish', 1, 2);
    await s.client.raiseEvent(id, 'finish', 'done');
    expect(await s.completed(id)).toEqual({ fan: [2, 4, 6], child: 20, event: 'done', kv: ['gen1', 'gen2'] });
  });

  test('[81] cooperative cancellation frees the only worker slot for the next activity', async (s) => {
    const observed: boolean[] = [];
    await s.startRuntime((rt) => {
      rt.registerActivity('Polite', async (ctx) => {
        observed.push(await abortedOrAfter(ctx.signal, 5_000));
        return 'stopped';
      });
      rt.registerActivity('Next', async () => 'next ran');
      rt.registerOrchestration('RaceIt', async (ctx) => {
        await ctx.race(ctx.scheduleActivity('Polite'), ctx.scheduleTimer(30));
        return ctx.scheduleActivity('Next');
      });
    }, SINGLE);
    const id = s.id('coop');
    expect((await s.run(id, 'RaceIt')).output).toBe('next ran');
    expect(observed).toEqual([true]);
  });

  test('[81] a runaway activity is abandoned after the grace period and the single slot moves on', async (s) => {
    let runawayFinished = false;
    await s.startRuntime(
      (rt) => {
        rt.registerActivity('Runaway', async () => {
          // Ignores its signal entirely; the safety cap keeps the test process tidy.
          await new Promise((r) => setTimeout(r, 3_000).unref());
          runawayFinished = true;
          return 'too late';
        });
        rt.registerActivity('Next', async () => 'next ran');
        rt.registerOrchestration('Runaway', async (ctx) => {
          await ctx.race(ctx.scheduleActivity('Runaway'), ctx.scheduleTimer(20));
          return ctx.scheduleActivity('Next');
        });
      },
      { ...SINGLE, activityCancellationGracePeriodMs: 100 },
    );
    const id = s.id('runaway');
    const started = Date.now();
    expect((await s.run(id, 'Runaway')).output).toBe('next ran');
    // The slot was freed by the grace period, not by the activity finishing.
    expect(runawayFinished).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_500);
  });
}
