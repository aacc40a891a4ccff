import type { OrchestrationContext, Runtime } from '@duroxide/core';
import { expect } from 'vitest';
import { scenarioIt } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** Registers `Greeter` at 1.0.0, 1.1.0 and 2.0.0, each reporting its version. */
function registerGreeters(rt: Runtime): void {
  for (const v of ['1.0.0', '1.1.0', '2.0.0']) {
    rt.registerOrchestrationVersioned(
      'Greeter',
      v,
      async (ctx: OrchestrationContext, name: string) => `${name}@${ctx.orchestrationVersion}`,
    );
  }
}

/** Checklist 16: versioned orchestrations (latest on start, explicit versions, continue-as-new upgrade). */
export function versioningScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[16] a new start takes the latest version; an explicit start pins one', async (s) => {
    await s.startRuntime(registerGreeters);
    const latest = s.id('ver-latest');
    expect((await s.run(latest, 'Greeter', 'a')).output).toBe('a@2.0.0');
    const pinned = s.id('ver-pinned');
    await s.client.startOrchestrationVersioned(pinned, 'Greeter', 'b', '1.1.0');
    expect(await s.completed(pinned)).toBe('b@1.1.0');
    const started = (await s.history(pinned)).find((e) => e.kind === 'OrchestrationStarted');
    expect(started?.version).toBe('1.1.0');
  });

  test('[16] sub-orchestrations and detached starts: explicit version vs latest', async (s) => {
    await s.startRuntime((rt) => {
      registerGreeters(rt);
      rt.registerOrchestration('Caller', async (ctx) => {
        const byPolicy = await ctx.scheduleSubOrchestration<string, string>('Greeter', 'p');
        const exact = await ctx.scheduleSubOrchestrationVersioned<string, string>('Greeter', '1.0.0', 'e');
        const exactWithId = await ctx.scheduleSubOrchestrationVersionedWithId<string, string>(
          'Greeter',
          '1.1.0',
          `${ctx.instanceId}-x`,
          'i',
        );
        await ctx.startOrchestration('Greeter', `${ctx.instanceId}-detached`, 'd');
        await ctx.startOrchestrationVersioned('Greeter', '1.0.0', `${ctx.instanceId}-detached-old`, 'o');
        return [byPolicy, exact, exactWithId];
      });
    });
    const id = s.id('ver-sub');
    expect((await s.run(id, 'Caller')).output).toEqual(['p@2.0.0', 'e@1.0.0', 'i@1.1.0']);
    expect(await s.completed(`${id}-detached`)).toBe('d@2.0.0');
    expect(await s.completed(`${id}-detached-old`)).toBe('o@1.0.0');
  });

  test('[16] continue-as-new upgrades an eternal orchestration to the latest version', async (s) => {
    const v1 = async (ctx: OrchestrationContext, gen: number) => {
      await ctx.waitForEvent('Tick');
      return ctx.continueAsNew(gen + 1);
    };
    const rt1 = await s.startRuntime((rt) => rt.registerOrchestrationVersioned('Eternal', '1.0.0', v1));
    const id = s.id('ver-upgrade');
    await s.client.startOrchestration(id, 'Eternal', 1);
    await s.waitForSubscription(id, 'Tick');
    await s.stopRuntime(rt1);
    await s.startRuntime((rt) => {
      rt.registerOrchestrationVersioned('Eternal', '1.0.0', v1);
      rt.registerOrchestrationVersioned(
        'Eternal',
        '2.0.0',
        async (ctx: OrchestrationContext, gen: number) => {
          return `gen ${gen} on ${ctx.orchestrationVersion}`;
        },
      );
    });
    await s.client.raiseEvent(id, 'Tick');
    expect(await s.completed(id)).toBe('gen 2 on 2.0.0');
    const first = (await s.history(id, 1)).find((e) => e.kind === 'OrchestrationStarted');
    expect(first?.version).toBe('1.0.0');
  });

  test('[16] continueAsNewVersioned moves to the exact version asked', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestrationVersioned('Stepper', '1.0.0', async (ctx: OrchestrationContext) =>
        ctx.continueAsNewVersioned('from 1', '1.5.0'),
      );
      rt.registerOrchestrationVersioned(
        'Stepper',
        '1.5.0',
        async (ctx: OrchestrationContext, input: string) => {
          return `${input} to ${ctx.orchestrationVersion}`;
        },
      );
      rt.registerOrchestrationVersioned('Stepper', '2.0.0', async () => 'latest ran');
    });
    const id = s.id('ver-can-exact');
    await s.client.startOrchestrationVersioned(id, 'Stepper', null, '1.0.0');
    expect(await s.completed(id)).toBe('from 1 to 1.5.0');
  });

  test('[16] an exact version policy pins new starts, sub-orchestrations and continue-as-new', async (s) => {
    const rt = await s.startRuntime((r) => {
      registerGreeters(r);
      r.setVersionPolicy('Greeter', { exact: '1.1.0' });
      r.registerOrchestration('Caller', async (ctx) =>
        ctx.scheduleSubOrchestration<string, string>('Greeter', 'c'),
      );
      r.registerOrchestrationVersioned('Looper', '1.0.0', async (ctx, n: number) =>
        n === 0 ? ctx.continueAsNew(1) : `looped@${ctx.orchestrationVersion}`,
      );
      r.registerOrchestrationVersioned('Looper', '2.0.0', async (ctx) => `v2@${ctx.orchestrationVersion}`);
      r.setVersionPolicy('Looper', { exact: '1.0.0' });
    });
    expect((await s.run(s.id('ver-exact'), 'Greeter', 'a')).output).toBe('a@1.1.0');
    expect((await s.run(s.id('ver-exact-sub'), 'Caller')).output).toBe('c@1.1.0');
    expect((await s.run(s.id('ver-exact-can'), 'Looper', 0)).output).toBe('looped@1.0.0');
    // The policy can change while running; the next start takes the latest again.
    rt.setVersionPolicy('Greeter', 'latest');
    expect((await s.run(s.id('ver-exact-after'), 'Greeter', 'b')).output).toBe('b@2.0.0');
  });

  test('[16] duplicate name@version registration is rejected', async (s) => {
    await expect(
      s.startRuntime((rt) => {
        rt.registerOrchestrationVersioned('Dup', '1.0.0', async () => 1);
        rt.registerOrchestrationVersioned('Dup', '1.0.0', async () => 2);
      }),
    ).rejects.toThrow(/Dup/);
  });
}
