/** The orchestrations whose recorded histories are committed as golden fixtures (do not change them). */
import type { OrchestrationContext, OrchestrationHandler } from '@duroxide/core';
import type { SimActivity } from './sim.js';

/** One golden scenario: orchestrations, activities, how to drive it and which instance to record. */
export interface GoldenScenario {
  orchestrations: Record<string, OrchestrationHandler>;
  activities: Record<string, SimActivity>;
  start: [instance: string, name: string, input: unknown];
  /** Messages the driver sends after the first idle point (events, queue messages). */
  afterIdle?: { kind: 'raise' | 'queue'; name: string; data: unknown }[];
}

const echo = {
  Echo: (x: unknown) => x,
  Upper: (s: string) => s.toUpperCase(),
  Fail: () => {
    throw new Error('failed on purpose');
  },
};

export const GOLDEN: Record<string, GoldenScenario> = {
  sequence: {
    orchestrations: {
      Seq: async (ctx, names: string[]) => {
        const out: string[] = [];
        for (const n of names) out.push(await ctx.scheduleActivity('Upper', n));
        ctx.setCustomStatus(`done ${out.length}`);
        return out;
      },
    },
    activities: echo,
    start: ['g-seq', 'Seq', ['a', 'b', 'c']],
  },
  fanOutRace: {
    orchestrations: {
      Fan: async (ctx: OrchestrationContext) => {
        const all = await ctx.all([
          ctx.scheduleActivity('Echo', 1),
          ctx.scheduleActivity('Fail'),
          ctx.scheduleTimer(10),
        ]);
        const race = await ctx.race(ctx.waitForEvent('Never'), ctx.scheduleTimer(50), ctx.dequeueEvent('Q'));
        const block = async () => {
          const a = await ctx.scheduleActivity('Echo', 'x');
          return ctx.scheduleSubOrchestration('Child', a);
        };
        const r2 = await ctx.race(block(), ctx.scheduleTimer(100_000));
        return { all, race, r2 };
      },
      Child: async (_ctx, x: string) => `${x}!`,
    },
    activities: echo,
    start: ['g-fan', 'Fan', null],
  },
  eternal: {
    orchestrations: {
      Eternal: async (ctx, n: number) => {
        ctx.setValue('count', String(n));
        const msg = await ctx.race(ctx.dequeueEvent('Q'), ctx.scheduleTimer(20));
        if (n >= 2) return { n, last: msg.value, kv: ctx.getKvAllValues() };
        return ctx.continueAsNew(n + 1);
      },
    },
    activities: echo,
    start: ['g-eternal', 'Eternal', 0],
    afterIdle: [{ kind: 'queue', name: 'Q', data: 'late message' }],
  },
  generatorRetry: {
    orchestrations: {
      Gen: function* (ctx: OrchestrationContext) {
        const guid: string = yield ctx.newGuid();
        let failed = '';
        try {
          yield ctx.scheduleActivityWithRetry('Fail', null, {
            maxAttempts: 2,
            backoff: 'fixed',
            initialDelayMs: 5,
          });
        } catch (e) {
          failed = (e as Error).message;
        }
        const ev: unknown = yield ctx.waitForEvent('Go');
        return { guid, failed, ev };
      },
    },
    activities: { ...echo, '__duroxide_syscall:new_guid': () => '00000000-0000-0000-0000-000000000001' },
    start: ['g-gen', 'Gen', null],
    afterIdle: [{ kind: 'raise', name: 'Go', data: { ok: true } }],
  },
};
