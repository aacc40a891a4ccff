import type { Runtime } from '@duroxide/core';
import { expect } from 'vitest';
import { Counter, scenarioIt } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** Checklist 56–59: determinism across restarts, duplicate starts, versions pinned by history. */
export function determinismScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[56] code swapped between runtimes fails the instance as nondeterministic', async (s) => {
    const rt1 = await s.startRuntime((rt) => {
      rt.registerActivity('A', async () => 'a');
      rt.registerActivity('B', async () => 'b');
      rt.registerOrchestration('Swapped', async (ctx) => {
        await ctx.scheduleActivity('A');
        return ctx.waitForEvent('Go');
      });
    });
    const id = s.id('swap');
    await s.client.startOrchestration(id, 'Swapped');
    await s.waitForSubscription(id, 'Go');
    await s.stopRuntime(rt1);
    await s.startRuntime((rt) => {
      rt.registerActivity('A', async () => 'a');
      rt.registerActivity('B', async () => 'b');
      rt.registerOrchestration('Swapped', async (ctx) => {
        await ctx.scheduleActivity('B');
        return ctx.waitForEvent('Go');
      });
    });
    await s.client.raiseEvent(id, 'Go', 1);
    expect(await s.failed(id)).toMatch(/^nondeterministic/);
    expect((await s.client.getStatus(id)).failureDetails).toMatchObject({ category: 'configuration' });
  });

  test('[56] a timer where history has an activity is nondeterministic', async (s) => {
    const rt1 = await s.startRuntime((rt) => {
      rt.registerActivity('A', async () => 'a');
      rt.registerOrchestration('KindSwap', async (ctx) => {
        await ctx.waitForEvent('Go');
        return ctx.scheduleActivity('A');
      });
    });
    const id = s.id('kind-swap');
    await s.client.startOrchestration(id, 'KindSwap');
    await s.waitForSubscription(id, 'Go');
    await s.stopRuntime(rt1);
    await s.startRuntime((rt) => {
      rt.registerOrchestration('KindSwap', async (ctx) => {
        await ctx.scheduleTimer(5);
        return 'timer';
      });
    });
    await s.client.raiseEvent(id, 'Go');
    expect(await s.failed(id)).toMatch(/^nondeterministic/);
  });

  test('[56] awaiting a foreign promise in orchestration code fails the instance clearly', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('A', async () => 'a');
      rt.registerOrchestration('Foreign', async (ctx) => {
        await new Promise((r) => setTimeout(r, 5)); // not a durable task: the engine loses control here
        return ctx.scheduleActivity('A');
      });
    });
    const id = s.id('foreign');
    await s.client.startOrchestration(id, 'Foreign');
    expect(await s.failed(id)).toMatch(/^nondeterministic/);
  });

  test('[57] a duplicate start runs one execution; a restart returns the same result', async (s) => {
    const ran = new Counter();
    const register = (rt: Runtime) => {
      rt.registerActivity('Once', async () => ran.hit());
      rt.registerOrchestration('Single', async (ctx, input: string) => {
        const n = await ctx.scheduleActivity<number>('Once');
        await ctx.scheduleTimer(10);
        return `${input}:${n}`;
      });
    };
    const rt1 = await s.startRuntime(register);
    const id = s.id('dup-start');
    await s.client.startOrchestration(id, 'Single', 'first');
    await s.client.startOrchestration(id, 'Single', 'second');
    expect(await s.completed(id)).toBe('first:1');
    await s.client.startOrchestration(id, 'Single', 'third');
    await s.waitForOrchestratorQueueEmpty();
    await s.stopRuntime(rt1);
    await s.startRuntime(register);
    expect(await s.client.waitForOrchestration(id, 5_000)).toMatchObject({
      status: 'Completed',
      output: 'first:1',
    });
    expect(await s.client.listExecutions(id)).toEqual([1]);
    expect(ran.get()).toBe(1);
    expect((await s.kinds(id)).filter((k) => k === 'OrchestrationStarted')).toHaveLength(1);
  });

  test('[58] replay uses the version recorded in history, not the latest, also after continue-as-new', async (s) => {
    const v1 = async (ctx: import('@duroxide/core').OrchestrationContext, gen: number) => {
      if (gen === 1) return ctx.continueAsNewVersioned(2, '1.0.0');
      const data = await ctx.waitForEvent<string>('Go');
      return `v1:${ctx.orchestrationVersion}:${data}`;
    };
    const rt1 = await s.startRuntime((rt) => rt.registerOrchestrationVersioned('Pinned', '1.0.0', v1));
    const id = s.id('pinned');
    const plain = s.id('pinned-plain');
    await s.client.startOrchestration(id, 'Pinned', 1);
    await s.client.startOrchestration(plain, 'Pinned', 2);
    await s.waitForSubscription(id, 'Go', 1, 2);
    await s.waitForSubscription(plain, 'Go');
    await s.stopRuntime(rt1);
    await s.startRuntime((rt) => {
      rt.registerOrchestrationVersioned('Pinned', '1.0.0', v1);
      rt.registerOrchestrationVersioned('Pinned', '2.0.0', async () => 'v2 code ran');
    });
    await s.client.raiseEvent(id, 'Go', 'x');
    await s.client.raiseEvent(plain, 'Go', 'y');
    expect(await s.completed(id)).toBe('v1:1.0.0:x');
    expect(await s.completed(plain)).toBe('v1:1.0.0:y');
  });

  test('[59] the same activity name and input twice: completions reach the right task across restarts', async (s) => {
    const register = (rt: Runtime) => {
      rt.registerActivity('Echo', async (ctx, x: string) => `${x}#${ctx.activityId}`);
      rt.registerOrchestration('Twice', async (ctx) => {
        const first = ctx.scheduleActivity<string>('Echo', 'same');
        const second = ctx.scheduleActivity<string>('Echo', 'same');
        const results = await ctx.all([first, second]);
        await ctx.waitForEvent('Go');
        const third = await ctx.scheduleActivity<string>('Echo', 'same');
        return { results, third };
      });
    };
    const rt1 = await s.startRuntime(register);
    const id = s.id('same-twice');
    await s.client.startOrchestration(id, 'Twice');
    await s.waitForSubscription(id, 'Go');
    await s.stopRuntime(rt1);
    await s.startRuntime(register);
    await s.client.raiseEvent(id, 'Go');
    const out = (await s.completed(id)) as { results: { ok: string }[]; third: string };
    const scheduled = (await s.history(id))
      .filter((e) => e.kind === 'ActivityScheduled')
      .map((e) => e.eventId);
    expect(out.results).toEqual([{ ok: `same#${scheduled[0]}` }, { ok: `same#${scheduled[1]}` }]);
    expect(out.third).toBe(`same#${scheduled[2]}`);
  });
}
