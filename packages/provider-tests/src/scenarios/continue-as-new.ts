import { MAX_CARRY_FORWARD_EVENTS } from '@duroxide/core';
import { expect } from 'vitest';
import { scenarioIt } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** Checklist 14 and 44–47: continue-as-new loops and their edge cases. */
export function continueAsNewScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[14] a continue-as-new loop ends with the final output; every execution is retained', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Inc', async (_ctx, n: number) => n + 1);
      rt.registerOrchestration('Counter', async (ctx, n: number) => {
        const next = await ctx.scheduleActivity<number>('Inc', n);
        if (next < 3) return ctx.continueAsNew(next);
        return `done at ${next} in execution ${ctx.executionId}`;
      });
    });
    const id = s.id('can-loop');
    expect((await s.run(id, 'Counter', 0)).output).toBe('done at 3 in execution 3');
    expect(await s.client.listExecutions(id)).toEqual([1, 2, 3]);
    const first = await s.kinds(id, 1);
    expect(first.at(-1)).toBe('OrchestrationContinuedAsNew');
    const started = (await s.history(id, 2)).find((e) => e.kind === 'OrchestrationStarted');
    expect(started?.input).toBe('1');
  });

  test('[44] events go to the latest execution; raised before it subscribes they are dropped', async (s) => {
    const release = s.gate();
    await s.startRuntime((rt) => {
      rt.registerActivity('Block', async () => {
        await release.promise;
        return null;
      });
      rt.registerOrchestration('Gen', async (ctx, gen: number) => {
        if (gen === 1) {
          await ctx.waitForEvent('Next');
          return ctx.continueAsNew(2);
        }
        await ctx.scheduleActivity('Block');
        return ctx.waitForEvent<string>('Next');
      });
    });
    const id = s.id('can-events');
    await s.client.startOrchestration(id, 'Gen', 1);
    await s.waitForSubscription(id, 'Next', 1, 1);
    await s.client.raiseEvent(id, 'Next', 'to-exec-1');
    await s.waitForHistory(id, (h) => h.some((e) => e.kind === 'ActivityScheduled'), 'exec 2 activity', {
      executionId: 2,
    });
    await s.client.raiseEvent(id, 'Next', 'dropped');
    await s.waitForHistory(id, (h) => h.some((e) => e.kind === 'ExternalEvent'), 'early event', {
      executionId: 2,
    });
    release.open();
    await s.waitForSubscription(id, 'Next', 1, 2);
    await s.client.raiseEvent(id, 'Next', 'delivered');
    expect(await s.completed(id)).toBe('delivered');
  });

  test('[45] completions addressed to an old or a future execution are ignored', async (s) => {
    const release = s.gate();
    await s.startRuntime((rt) => {
      rt.registerActivity('Block', async (_ctx, tag: string) => {
        await release.promise;
        return `real ${tag}`;
      });
      rt.registerOrchestration('Stale', async (ctx, gen: number) => {
        if (gen === 1) return ctx.continueAsNew(2);
        return ctx.scheduleActivity('Block', `gen${gen}`);
      });
    });
    const id = s.id('stale');
    await s.client.startOrchestration(id, 'Stale', 1);
    const events = await s.waitForHistory(
      id,
      (h) => h.some((e) => e.kind === 'ActivityScheduled'),
      'exec 2 act',
      {
        executionId: 2,
      },
    );
    const activityId = events.find((e) => e.kind === 'ActivityScheduled')?.eventId as number;
    for (const executionId of [1, 3]) {
      await s.provider.enqueueForOrchestrator({
        kind: 'ActivityCompleted',
        instance: id,
        executionId,
        id: activityId,
        result: JSON.stringify(`forged for ${executionId}`),
      });
    }
    await s.waitForOrchestratorQueueEmpty();
    expect((await s.client.getStatus(id)).status).toBe('Running');
    release.open();
    expect(await s.completed(id)).toBe('real gen2');
  });

  test('[46] continueAsNew without awaiting still continues', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Fire', async (ctx, gen: number) => {
        if (gen === 1) {
          void ctx.continueAsNew(2);
          return 'ignored';
        }
        return `gen ${gen}`;
      });
    });
    const id = s.id('can-noawait');
    expect((await s.run(id, 'Fire', 1)).output).toBe('gen 2');
    expect(await s.client.listExecutions(id)).toEqual([1, 2]);
  });

  test('[46] continue-as-new with an unconsumed activity does not break the next execution', async (s) => {
    const release = s.gate();
    await s.startRuntime((rt) => {
      rt.registerActivity('Slow', async () => {
        await release.promise;
        return 'slow';
      });
      rt.registerActivity('Fast', async (_ctx, n: number) => n * 2);
      rt.registerOrchestration('Leave', async (ctx, gen: number) => {
        if (gen === 1) {
          void ctx.scheduleActivity('Slow');
          return ctx.continueAsNew(2);
        }
        return ctx.scheduleActivity('Fast', 21);
      });
    });
    const id = s.id('can-leftover');
    await s.client.startOrchestration(id, 'Leave', 1);
    expect(await s.completed(id)).toBe(42);
    release.open();
    const first = await s.kinds(id, 1);
    expect(first).not.toContain('ActivityCompleted');
  });

  test('[47] custom status, KV and unconsumed queue messages carry over continue-as-new', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Carry', async (ctx, gen: number) => {
        if (gen === 1) {
          ctx.setCustomStatus('gen1');
          ctx.setValue('k', 'v1');
          const first = await ctx.dequeueEvent('q');
          ctx.setValue('first', String(first));
          await ctx.waitForEvent('Go');
          return ctx.continueAsNew(2);
        }
        const rest = [await ctx.dequeueEvent('q'), await ctx.dequeueEvent('q')];
        return { status: ctx.getCustomStatus(), k: ctx.getValue('k'), first: ctx.getValue('first'), rest };
      });
    });
    const id = s.id('can-carry');
    await s.client.startOrchestration(id, 'Carry', 1);
    for (const m of ['m1', 'm2', 'm3']) await s.client.enqueueEvent(id, 'q', m);
    await s.waitForKind(id, 'QueueEventDelivered', 3);
    await s.waitForSubscription(id, 'Go');
    await s.client.raiseEvent(id, 'Go');
    expect(await s.completed(id)).toEqual({ status: 'gen1', k: 'v1', first: 'm1', rest: ['m2', 'm3'] });
  });

  test('[47] at most 20 queue messages are carried over (the oldest)', async (s) => {
    const total = MAX_CARRY_FORWARD_EVENTS + 5;
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Many', async (ctx, gen: number) => {
        if (gen === 1) {
          await ctx.waitForEvent('Go');
          return ctx.continueAsNew(2);
        }
        const got: unknown[] = [];
        for (;;) {
          const r = await ctx.race(ctx.dequeueEvent('q'), ctx.scheduleTimer(30));
          if (r.index === 1) return got;
          got.push(r.value);
        }
      });
    });
    const id = s.id('can-max');
    await s.client.startOrchestration(id, 'Many', 1);
    await s.waitForSubscription(id, 'Go');
    for (let i = 0; i < total; i++) await s.client.enqueueEvent(id, 'q', i);
    await s.waitForKind(id, 'QueueEventDelivered', total);
    await s.client.raiseEvent(id, 'Go');
    const got = (await s.completed(id)) as number[];
    expect(got).toEqual(Array.from({ length: MAX_CARRY_FORWARD_EVENTS }, (_, i) => i));
  });
}
