import { defineActivity, defineOrchestration, type OrchestrationContext } from '@duroxide/core';
import { expect } from 'vitest';
import { scenarioIt } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

interface Order {
  id: string;
  items: { sku: string; qty: number }[];
}

const priceOrder = defineActivity('PriceOrder', async (_ctx, order: Order) => ({
  id: order.id,
  total: order.items.reduce((sum, i) => sum + i.qty * 10, 0),
}));
const checkout = defineOrchestration('Checkout', async (ctx, order: Order) => {
  const priced = await ctx.scheduleActivity(priceOrder, order);
  const raced = await ctx.race(ctx.scheduleActivity(priceOrder, order), ctx.waitForEvent<string>('Cancel'));
  const second = raced.index === 0 ? raced.value.total : -1;
  return { ...priced, second, version: ctx.orchestrationVersion };
});

/** Checklist 10–13, 15, 61–62: sub-orchestrations, detached starts, typed handles, async blocks. */
export function compositionScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  const registerLeaf = (rt: import('@duroxide/core').Runtime) => {
    rt.registerActivity('Upper', async (_ctx, s: string) => s.toUpperCase());
    rt.registerOrchestration('Leaf', async (ctx, s: string) => ctx.scheduleActivity<string>('Upper', s));
  };

  test('[10] a parent gets its child sub-orchestration output', async (s) => {
    await s.startRuntime((rt) => {
      registerLeaf(rt);
      rt.registerOrchestration(
        'Parent',
        async (ctx, s2: string) => `child said ${await ctx.scheduleSubOrchestration('Leaf', s2)}`,
      );
    });
    const id = s.id('parent');
    expect((await s.run(id, 'Parent', 'hi')).output).toBe('child said HI');
    const child = (await s.history(id)).find((e) => e.kind === 'SubOrchestrationScheduled');
    expect(child?.name).toBe('Leaf');
  });

  test('[11] fan-out to two children joined; a root → mid → leaf chain', async (s) => {
    await s.startRuntime((rt) => {
      registerLeaf(rt);
      rt.registerOrchestration(
        'Mid',
        async (ctx, s2: string) => `mid(${await ctx.scheduleSubOrchestration('Leaf', s2)})`,
      );
      rt.registerOrchestration('Root', async (ctx) => {
        const both = await ctx.all([
          ctx.scheduleSubOrchestration('Leaf', 'a'),
          ctx.scheduleSubOrchestration('Leaf', 'b'),
        ]);
        const chain = await ctx.scheduleSubOrchestration('Mid', 'c');
        return { both, chain };
      });
    });
    const id = s.id('root');
    expect((await s.run(id, 'Root')).output).toEqual({ both: [{ ok: 'A' }, { ok: 'B' }], chain: 'mid(C)' });
    const tree = await s.client.getInstanceTree(id);
    expect(tree.allIds).toHaveLength(5);
  });

  test('[12] detached orchestrations with explicit ids run as independent roots', async (s) => {
    await s.startRuntime((rt) => {
      registerLeaf(rt);
      rt.registerOrchestration('Launcher', async (ctx) => {
        await ctx.startOrchestration('Leaf', `${ctx.instanceId}-d1`, 'x');
        await ctx.startOrchestration('Leaf', `${ctx.instanceId}-d2`, 'y');
        return 'launched';
      });
    });
    const id = s.id('launcher');
    expect((await s.run(id, 'Launcher')).output).toBe('launched');
    expect(await s.completed(`${id}-d1`)).toBe('X');
    expect(await s.completed(`${id}-d2`)).toBe('Y');
    const info = await s.client.getInstanceInfo(`${id}-d1`);
    expect(info.parentInstanceId ?? null).toBeNull();
    expect((await s.kinds(id)).filter((k) => k === 'OrchestrationChained')).toHaveLength(2);
  });

  test('[13] a detached start followed by an awaited activity replays without nondeterminism', async (s) => {
    await s.startRuntime((rt) => {
      registerLeaf(rt);
      rt.registerOrchestration('StartThenWork', async (ctx) => {
        void ctx.startOrchestration('Leaf', `${ctx.instanceId}-d`, 'z');
        const a = await ctx.scheduleActivity<string>('Upper', 'a');
        await ctx.scheduleTimer(5);
        const b = await ctx.scheduleActivity<string>('Upper', 'b');
        return a + b;
      });
    });
    const id = s.id('detach-replay');
    expect((await s.run(id, 'StartThenWork')).output).toBe('AB');
    expect(await s.completed(`${id}-d`)).toBe('Z');
  });

  test('[15] typed handles round-trip structured input and output; mixed typed and string race', async (s) => {
    await s.startRuntime((rt) => rt.register(priceOrder, checkout));
    const id = s.id('typed');
    await s.client.startOrchestration(id, checkout, {
      id: 'o1',
      items: [
        { sku: 'a', qty: 2 },
        { sku: 'b', qty: 3 },
      ],
    });
    const status = await s.client.waitForOrchestration(id, 5_000);
    expect(status.output).toEqual({ id: 'o1', total: 50, second: 50, version: '1.0.0' });
  });

  test('[61] ctx.all over async blocks mixing activities, timers and sub-orchestrations', async (s) => {
    await s.startRuntime((rt) => {
      registerLeaf(rt);
      rt.registerOrchestration('Blocks', async (ctx) => {
        const stepA = async () => {
          const x = await ctx.scheduleActivity<string>('Upper', 'a');
          await ctx.scheduleTimer(5);
          return `${x}!`;
        };
        const stepB = async () => {
          const y = await ctx.scheduleSubOrchestration<string, string>('Leaf', 'b');
          const inner = await ctx.all([ctx.scheduleActivity('Upper', 'c'), ctx.scheduleTimer(1)]);
          return [y, inner];
        };
        return ctx.all([stepA(), stepB()]);
      });
    });
    expect((await s.run(s.id('blocks'), 'Blocks')).output).toEqual([
      { ok: 'A!' },
      { ok: ['B', [{ ok: 'C' }, { ok: null }]] },
    ]);
  });

  test('[61] ctx.race of async blocks: the block that finishes first in history wins, the loser is cancelled', async (s) => {
    await s.startRuntime((rt) => {
      registerLeaf(rt);
      rt.registerOrchestration('Slowpoke', async (ctx) => ctx.waitForEvent('Never'));
      rt.registerOrchestration('RaceBlocks', async (ctx) => {
        const viaChild = async () =>
          ctx.scheduleSubOrchestrationWithId<string, string>('Slowpoke', `${ctx.instanceId}-slow`);
        const viaTimer = async () => {
          await ctx.scheduleTimer(10);
          return `timer then ${await ctx.scheduleActivity<string>('Upper', 't')}`;
        };
        const fast = await ctx.race(viaChild(), viaTimer());
        const slow = await ctx.race(
          (async () => {
            await ctx.scheduleTimer(30_000); // loses: the child finishes long before, even on a loaded machine
            return 'late';
          })(),
          (async () => ctx.scheduleSubOrchestration<string, string>('Leaf', 'w'))(),
        );
        return [fast, slow];
      });
    });
    const id = s.id('race-blocks');
    expect((await s.run(id, 'RaceBlocks')).output).toEqual([
      { index: 1, value: 'timer then T' },
      { index: 1, value: 'W' },
    ]);
    expect(await s.failed(`${id}-slow`)).toMatch(/^canceled:/);
  });

  test('[62] typed all/race: tuple results in argument order; a failed race winner rejects', async (s) => {
    await s.startRuntime((rt) => {
      rt.register(priceOrder);
      rt.registerActivity('Boom', async () => {
        throw new Error('boom');
      });
      rt.registerOrchestration('Typed', async (ctx: OrchestrationContext) => {
        const [priced, label] = await ctx.all([
          ctx.scheduleActivity(priceOrder, { id: 't', items: [{ sku: 'x', qty: 1 }] }),
          ctx.scheduleTimer(1),
        ]);
        let raceError = '';
        try {
          await ctx.race(ctx.scheduleActivity('Boom'), ctx.waitForEvent('Never'));
        } catch (e) {
          raceError = (e as Error).message;
        }
        const total = 'ok' in priced ? priced.ok.total : -1;
        return { total, label, raceError };
      });
    });
    const id = s.id('typed-comp');
    const out = (await s.run(id, 'Typed')).output as { total: number; label: unknown; raceError: string };
    expect(out).toMatchObject({ total: 10, label: { ok: null } });
    expect(out.raceError).toContain('boom');
    expect(await s.kinds(id)).toContain('ExternalSubscribedCancelled');
  });
}
