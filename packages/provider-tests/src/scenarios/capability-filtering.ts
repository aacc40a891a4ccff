import { DUROXIDE_VERSION, type OrchestrationContext, type Runtime } from '@duroxide/core';
import { expect } from 'vitest';
import type { Scenario } from './harness.js';
import { scenarioIt } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** The runtime version pinned on one execution (its `OrchestrationStarted`). */
async function pinnedVersion(s: Scenario, id: string, executionId?: number): Promise<unknown> {
  const started = (await s.history(id, executionId)).find((e) => e.kind === 'OrchestrationStarted');
  return started?.duroxideVersion;
}

/** Registers `Waiter`: waits for `go`, then returns the runtime label that ran its last turn. */
function registerWaiter(rt: Runtime, label: string): void {
  rt.registerOrchestration('Waiter', async (ctx) => {
    await ctx.waitForEvent('go');
    return label;
  });
  rt.registerOrchestration('Quick', async () => label);
}

/** Checklist 69 and 82: executions pinned to the runtime version that started them; rolling upgrades. */
export function capabilityFilteringScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[69] every execution records the version of the runtime that started it', async (s) => {
    const first = await s.startRuntime((rt) => registerWaiter(rt, 'default'));
    const id = s.id('pin-default');
    await s.client.startOrchestration(id, 'Quick');
    await s.completed(id);
    expect(await pinnedVersion(s, id)).toBe(DUROXIDE_VERSION);
    await s.stopRuntime(first);

    const other = s.id('pin-custom');
    const rt = await s.startRuntime((r) => registerWaiter(r, 'v9'), { duroxideVersion: '9.0.0' });
    expect(rt.options.supportedReplayVersions).toEqual([{ min: '0.0.0', max: '9.0.0' }]);
    await s.client.startOrchestration(other, 'Quick');
    expect(await s.completed(other)).toBe('v9');
    expect(await pinnedVersion(s, other)).toBe('9.0.0');
  });

  test('[69] a newer-pinned execution is invisible to an older runtime and stays Running until a newer one runs', async (s) => {
    const newer = await s.startRuntime((rt) => registerWaiter(rt, 'newer'), { duroxideVersion: '0.9.0' });
    const id = s.id('future-pinned');
    await s.client.startOrchestration(id, 'Waiter');
    await s.waitForSubscription(id, 'go');
    expect(await pinnedVersion(s, id)).toBe('0.9.0');
    await s.stopRuntime(newer);

    // The default range of an older runtime is [0.0.0, own version]: it excludes 0.9.0.
    await s.startRuntime((rt) => registerWaiter(rt, 'older'), { duroxideVersion: '0.5.0' });
    await s.client.raiseEvent(id, 'go');
    // Handshake: the older runtime is alive and processing (a fresh instance completes on it) ...
    const probe = s.id('probe');
    await s.client.startOrchestration(probe, 'Quick');
    expect(await s.completed(probe)).toBe('older');
    expect(await pinnedVersion(s, probe)).toBe('0.5.0');
    // ... yet the pinned instance was never fetched: still Running, its event still queued.
    expect((await s.client.getStatus(id)).status).toBe('Running');
    expect(await s.kinds(id)).not.toContain('ExternalEvent');
    expect((await s.client.getQueueDepths()).orchestratorQueue).toBe(1);

    await s.startRuntime((rt) => registerWaiter(rt, 'newer-again'), { duroxideVersion: '0.9.0' });
    expect(await s.completed(id)).toBe('newer-again');
  });

  test('[69] custom ranges: a runtime limited to [0.3.0, 0.4.0] skips older pins; a wide range drains them', async (s) => {
    const old = await s.startRuntime((rt) => registerWaiter(rt, 'old'), { duroxideVersion: '0.2.0' });
    const id = s.id('old-pinned');
    await s.client.startOrchestration(id, 'Waiter');
    await s.waitForSubscription(id, 'go');
    await s.stopRuntime(old);

    await s.startRuntime((rt) => registerWaiter(rt, 'narrow'), {
      duroxideVersion: '0.4.0',
      supportedReplayVersions: [{ min: '0.3.0', max: '0.4.0' }],
    });
    await s.client.raiseEvent(id, 'go');
    const probe = s.id('probe');
    await s.client.startOrchestration(probe, 'Quick');
    expect(await s.completed(probe)).toBe('narrow');
    expect((await s.client.getStatus(id)).status).toBe('Running');

    await s.startRuntime((rt) => registerWaiter(rt, 'wide'), {
      duroxideVersion: '0.4.0',
      supportedReplayVersions: [{ min: '0.1.0', max: '0.4.0' }],
    });
    expect(await s.completed(id)).toBe('wide');
    expect(await pinnedVersion(s, id)).toBe('0.2.0');
  });

  test('[69] sub-orchestrations and continue-as-new executions are pinned to the runtime that starts them', async (s) => {
    const register = (rt: Runtime) => {
      rt.registerOrchestration('Child', async () => 'child done');
      rt.registerOrchestration('Parent', async (ctx, gen: number) => {
        if (gen === 1) {
          await ctx.waitForEvent('upgrade');
          return ctx.continueAsNew(2);
        }
        return ctx.scheduleSubOrchestration('Child', null, { instanceId: `${ctx.instanceId}-child` });
      });
    };
    const old = await s.startRuntime(register, { duroxideVersion: '0.1.0' });
    const id = s.id('pin-chain');
    await s.client.startOrchestration(id, 'Parent', 1);
    await s.waitForSubscription(id, 'upgrade');
    await s.stopRuntime(old);
    await s.startRuntime(register, { duroxideVersion: '0.2.0' });
    await s.client.raiseEvent(id, 'upgrade');
    expect(await s.completed(id)).toBe('child done');
    expect(await pinnedVersion(s, id, 1)).toBe('0.1.0');
    expect(await pinnedVersion(s, id, 2)).toBe('0.2.0');
    expect(await pinnedVersion(s, `${id}-child`)).toBe('0.2.0');
  });

  test('[82] rolling upgrade across three nodes: old pins drain everywhere, new pins only on new nodes', async (s) => {
    /** `label:instance:execution` for every live (non-replay) turn, to see which node ran what. */
    const turns: string[] = [];
    const counterV1 = (label: string) => async (ctx: OrchestrationContext, n: number) => {
      if (!ctx.isReplaying) turns.push(`${label}:${ctx.instanceId}:${ctx.executionId}`);
      await ctx.waitForEvent('tick');
      return ctx.continueAsNew(n + 1);
    };
    const oldNode = (label: string) => (rt: Runtime) => {
      rt.registerOrchestrationVersioned('Counter', '1.0.0', counterV1(label));
    };
    const newNode = (label: string) => (rt: Runtime) => {
      rt.registerOrchestrationVersioned('Counter', '1.0.0', counterV1(label));
      rt.registerOrchestrationVersioned('Counter', '2.0.0', async (ctx, n: number) => {
        if (!ctx.isReplaying) turns.push(`${label}:${ctx.instanceId}:${ctx.executionId}`);
        await ctx.waitForEvent('tick');
        if (n >= 4) return { n, version: ctx.orchestrationVersion };
        return ctx.continueAsNew(n + 1);
      });
    };
    const OLD = { duroxideVersion: '0.1.0', orchestrationConcurrency: 1, workerConcurrency: 1 };
    const NEW = { duroxideVersion: '0.2.0', orchestrationConcurrency: 1, workerConcurrency: 1 };
    const nodes = [
      await s.startRuntime(oldNode('old1'), OLD),
      await s.startRuntime(oldNode('old2'), OLD),
      await s.startRuntime(oldNode('old3'), OLD),
    ];
    const ids = [s.id('roll'), s.id('roll'), s.id('roll')];
    for (const id of ids) await s.client.startOrchestration(id, 'Counter', 1);

    /** Raises one tick once the current execution subscribed, and waits for the next execution or the end. */
    const tick = async (id: string) => {
      const exec = await s.currentExecution(id);
      await s.waitForSubscription(id, 'tick', 1, exec);
      await s.client.raiseEvent(id, 'tick');
      await s.waitForHistory(
        id,
        (e) => e.some((x) => x.kind === 'OrchestrationContinuedAsNew' || x.kind === 'OrchestrationCompleted'),
        'the tick processed',
        { executionId: exec },
      );
    };
    for (const id of ids) await tick(id);
    // Replace the nodes one at a time; ticks keep flowing through the mixed cluster.
    for (let i = 0; i < 3; i++) {
      await s.stopRuntime(nodes[i]!);
      nodes[i] = await s.startRuntime(newNode(`new${i + 1}`), NEW);
      for (const id of ids) await tick(id);
    }
    const results = [];
    for (const id of ids) {
      for (;;) {
        const status = await s.client.getStatus(id);
        if (status.status !== 'Running') break;
        await tick(id);
      }
      results.push(await s.completed(id));
    }
    for (const r of results) expect(r).toMatchObject({ version: '2.0.0' });

    // Every execution pinned to 0.2.0 had all its live turns on new nodes.
    for (const id of ids) {
      for (const exec of await s.client.listExecutions(id)) {
        const pin = await pinnedVersion(s, id, exec);
        expect(['0.1.0', '0.2.0']).toContain(pin);
        const ran = turns.filter((t) => t.endsWith(`:${id}:${exec}`)).map((t) => t.split(':')[0]!);
        if (pin === '0.2.0') expect(ran.every((label) => label.startsWith('new'))).toBe(true);
      }
      expect(await pinnedVersion(s, id, 1)).toBe('0.1.0');
    }
  }, 60_000);
}
