import type { Runtime } from '@duroxide/core';
import { expect } from 'vitest';
import { scenarioIt } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checklist 65: system calls (newGuid, utcNow, getValueFromInstance) as recorded activities. */
export function systemCallScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[65] newGuid/utcNow values survive a runtime restart unchanged and feed activities', async (s) => {
    const register = (rt: Runtime) => {
      rt.registerActivity('Echo', async (_ctx, x: unknown) => x);
      rt.registerOrchestration('Sys', async (ctx) => {
        const guid = await ctx.newGuid();
        const now = await ctx.utcNow();
        const echoed = await ctx.scheduleActivity<{ guid: string; now: number }>('Echo', { guid, now });
        await ctx.waitForEvent('Go');
        return { guid, now, echoed, again: [await ctx.newGuid(), await ctx.utcNow()] };
      });
    };
    const rt1 = await s.startRuntime(register);
    const id = s.id('sys-restart');
    await s.client.startOrchestration(id, 'Sys');
    await s.waitForSubscription(id, 'Go');
    await s.stopRuntime(rt1);
    await s.startRuntime(register);
    await s.client.raiseEvent(id, 'Go');
    const out = (await s.completed(id)) as {
      guid: string;
      now: number;
      echoed: unknown;
      again: [string, number];
    };
    expect(out.guid).toMatch(GUID);
    expect(out.echoed).toEqual({ guid: out.guid, now: out.now });
    expect(out.again[0]).toMatch(GUID);
    expect(out.again[0]).not.toBe(out.guid);
    expect(out.again[1]).toBeGreaterThanOrEqual(out.now);
    const scheduled = (await s.history(id)).filter((e) => e.kind === 'ActivityScheduled').map((e) => e.name);
    expect(scheduled.filter((n) => String(n).startsWith('__duroxide_syscall:'))).toHaveLength(4);
  });

  test('[65] system calls inside all/race and ordered with activities (single-threaded runtime)', async (s) => {
    await s.startRuntime(
      (rt) => {
        rt.registerActivity('Stamp', async (_ctx, label: string) => label);
        rt.registerOrchestration('SysMix', async (ctx) => {
          const joined = await ctx.all([ctx.newGuid(), ctx.utcNow(), ctx.scheduleActivity('Stamp', 'mid')]);
          const raced = await ctx.race(ctx.utcNow(), ctx.waitForEvent('Never'));
          return { joined, racedIndex: raced.index, racedIsNumber: typeof raced.value === 'number' };
        });
      },
      { orchestrationConcurrency: 1, workerConcurrency: 1 },
    );
    const id = s.id('sys-mix');
    const out = (await s.run(id, 'SysMix')).output as {
      joined: [{ ok: string }, { ok: number }, { ok: string }];
      racedIndex: number;
      racedIsNumber: boolean;
    };
    expect(out.joined[0].ok).toMatch(GUID);
    expect(typeof out.joined[1].ok).toBe('number');
    expect(out.joined[2]).toEqual({ ok: 'mid' });
    expect(out.racedIndex).toBe(0);
    expect(out.racedIsNumber).toBe(true);
    const names = (await s.history(id))
      .filter((e) => e.kind === 'ActivityScheduled')
      .map((e) => String(e.name));
    expect(names[2]).toBe('Stamp');
    expect(names.filter((n) => n.startsWith('__duroxide_syscall:'))).toHaveLength(3);
  });

  test('[65] a pending system call can lose a race and is cancelled', async (s) => {
    await s.startRuntime(
      (rt) => {
        rt.registerOrchestration('SysLoses', async (ctx) => {
          const r = await ctx.race(ctx.newGuid(), ctx.scheduleTimer(20));
          return r.index;
        });
      },
      { workerConcurrency: 0 },
    );
    const id = s.id('sys-cancel');
    expect((await s.run(id, 'SysLoses')).output).toBe(1);
    expect(await s.kinds(id)).toContain('ActivityCancelRequested');
    expect((await s.client.getQueueDepths()).workerQueue).toBe(0);
  });

  test('[65] registering a handler with the reserved system prefix is rejected', async (s) => {
    await expect(
      s.startRuntime((rt) => rt.registerActivity('__duroxide_syscall:mine', async () => 1)),
    ).rejects.toThrow(/__duroxide_syscall/);
  });
}
