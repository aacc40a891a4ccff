import { expect } from 'vitest';
import { scenarioIt, waitUntil } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** Checklist 38–41 and 43: durable timers and positional, ephemeral external events. */
export function timerEventScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[38] timers fire no earlier than asked and in fire-time order across turns; a zero-duration timer fires', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Timers', async (ctx) => {
        const order: string[] = [];
        const after = async (ms: number) => {
          await ctx.scheduleTimer(ms);
          order.push(`t${ms}`);
        };
        await ctx.all([after(40), after(10), after(25)]);
        await ctx.scheduleTimer(0);
        order.push('zero');
        return order;
      });
    });
    const id = s.id('timers');
    const output = (await s.run(id, 'Timers')).output as string[];
    const events = await s.history(id);
    const created = new Map(events.filter((e) => e.kind === 'TimerCreated').map((e) => [e.eventId, e]));
    const fired = events
      .filter((e) => e.kind === 'TimerFired')
      .map((e) => {
        const source = created.get(Number(e.sourceEventId));
        const fireAtMs = source?.fireAtMs as number;
        // TimerCreated carries its turn's clock, so the asked delay is fireAtMs minus its timestamp.
        return { firedAtMs: e.timestampMs, fireAtMs, delayMs: fireAtMs - Number(source?.timestampMs) };
      });
    expect(fired.map((f) => f.delayMs)).toEqual(expect.arrayContaining([40, 10, 25, 0]));
    expect(fired).toHaveLength(4);
    // The code sees completions in history order.
    expect(output).toEqual(fired.map((f) => (f.delayMs === 0 ? 'zero' : `t${f.delayMs}`)));
    expect(output.at(-1)).toBe('zero');
    for (const f of fired)
      expect(f.firedAtMs, 'a timer never fires early').toBeGreaterThanOrEqual(f.fireAtMs);
    // Every event a turn writes carries that turn's clock: timers delivered in different turns (different
    // stamps) come in fire-time order. Timers due together in one turn are applied in the batch's queue
    // order (the provider contract), so no order is asserted within a turn.
    for (const a of fired) {
      for (const b of fired) {
        if (a.firedAtMs < b.firedAtMs)
          expect(a.fireAtMs, 'earlier turn, earlier timer').toBeLessThanOrEqual(b.fireAtMs);
      }
    }
  });

  test('[38] timers and activities interleave', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Step', async (_ctx, n: number) => n * 10);
      rt.registerOrchestration('Interleave', async (ctx) => {
        const out: number[] = [];
        for (let i = 1; i <= 3; i++) {
          await ctx.scheduleTimer(5);
          out.push(await ctx.scheduleActivity<number>('Step', i));
        }
        return out;
      });
    });
    const id = s.id('interleave');
    expect((await s.run(id, 'Interleave')).output).toEqual([10, 20, 30]);
    const kinds = (await s.kinds(id)).filter(
      (k) => k !== 'OrchestrationStarted' && !k.startsWith('Orchestration'),
    );
    expect(kinds).toEqual([
      'TimerCreated',
      'TimerFired',
      'ActivityScheduled',
      'ActivityCompleted',
      'TimerCreated',
      'TimerFired',
      'ActivityScheduled',
      'ActivityCompleted',
      'TimerCreated',
      'TimerFired',
      'ActivityScheduled',
      'ActivityCompleted',
    ]);
  });

  test('[38] many 1 ms timers in a row: a long-polling dispatcher never sleeps past a due timer', async (s) => {
    // One instance, one dispatcher slot, the default 30 s long poll: nothing but the timer's own due time
    // can wake the dispatcher, so a missed wake-up shows as a 30 s stall instead of a ~1 s run.
    await s.startRuntime(
      (rt) => {
        rt.registerOrchestration('Ticker', async (ctx, n: number) => {
          for (let i = 0; i < n; i++) await ctx.scheduleTimer(1);
          return n;
        });
      },
      { orchestrationConcurrency: 1, dispatcherLongPollTimeoutMs: 30_000 },
    );
    const id = s.id('ticker');
    await s.client.startOrchestration(id, 'Ticker', 150);
    const status = await s.client.waitForOrchestration(id, 15_000);
    expect(status).toMatchObject({ status: 'Completed', output: 150 });
  }, 25_000);

  test('[39] a timer never fires earlier than asked', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Sleep', async (ctx, ms: number) => {
        const t0 = await ctx.utcNow();
        await ctx.scheduleTimer(ms);
        const t1 = await ctx.utcNow();
        return t1 - t0;
      });
    });
    const id = s.id('not-early');
    const elapsed = (await s.run(id, 'Sleep', 120)).output as number;
    expect(elapsed).toBeGreaterThanOrEqual(120);
    const events = await s.history(id);
    const created = events.find((e) => e.kind === 'TimerCreated');
    const fired = events.find((e) => e.kind === 'TimerFired');
    expect(fired?.timestampMs).toBeGreaterThanOrEqual(created?.fireAtMs as number);
  });

  test('[39] a timer created before a restart fires after it (due while down, and due after restart)', async (s) => {
    const register = (rt: import('@duroxide/core').Runtime) =>
      rt.registerOrchestration('TwoTimers', async (ctx) => {
        await ctx.scheduleTimer(60);
        await ctx.scheduleTimer(60);
        return 'woke';
      });
    const rt1 = await s.startRuntime(register);
    const id = s.id('timer-restart');
    await s.client.startOrchestration(id, 'TwoTimers');
    const events = await s.waitForKind(id, 'TimerCreated');
    await s.stopRuntime(rt1);
    // Let the first timer come due while no runtime runs (a wait on the recorded fire time, not a guess).
    const fireAt = events.find((e) => e.kind === 'TimerCreated')?.fireAtMs as number;
    await waitUntil(() => (Date.now() > fireAt ? true : undefined), 'the first timer to come due');
    expect((await s.client.getStatus(id)).status).toBe('Running');
    await s.startRuntime(register);
    expect(await s.completed(id)).toBe('woke');
    expect((await s.kinds(id)).filter((k) => k === 'TimerFired')).toHaveLength(2);
  });

  test('[40] an event raised before its subscription is recorded but not delivered', async (s) => {
    const release = s.gate();
    await s.startRuntime((rt) => {
      rt.registerActivity('Block', async () => {
        await release.promise;
        return null;
      });
      rt.registerOrchestration('Late', async (ctx) => {
        await ctx.scheduleActivity('Block');
        return ctx.waitForEvent<string>('E');
      });
    });
    const id = s.id('early-event');
    await s.client.startOrchestration(id, 'Late');
    await s.waitForKind(id, 'ActivityScheduled');
    await s.client.raiseEvent(id, 'E', 'early');
    await s.waitForKind(id, 'ExternalEvent', 1, 'E');
    release.open();
    await s.waitForSubscription(id, 'E');
    await s.client.raiseEvent(id, 'E', 'late');
    expect(await s.completed(id)).toBe('late');
  });

  test('[40] an event raised after completion is ignored', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Quick', async () => 'done');
    });
    const id = s.id('after-done');
    await s.run(id, 'Quick');
    const before = await s.kinds(id);
    await s.client.raiseEvent(id, 'E', 'too late');
    await s.waitForOrchestratorQueueEmpty();
    expect(await s.kinds(id)).toEqual(before);
    expect(await s.client.getStatus(id)).toMatchObject({ status: 'Completed', output: 'done' });
  });

  test('[41] positional FIFO: the Nth subscription gets the Nth event; duplicates are kept', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Two', async (ctx) => {
        const r = await ctx.all([ctx.waitForEvent('E'), ctx.waitForEvent('E'), ctx.waitForEvent('E')]);
        return r;
      });
    });
    const id = s.id('fifo-events');
    await s.client.startOrchestration(id, 'Two');
    await s.waitForSubscription(id, 'E', 3);
    await s.client.raiseEvent(id, 'E', 'a');
    await s.client.raiseEvent(id, 'E', 'dup');
    await s.client.raiseEvent(id, 'E', 'dup');
    expect(await s.completed(id)).toEqual([{ ok: 'a' }, { ok: 'dup' }, { ok: 'dup' }]);
  });

  test('[41] a cancelled subscription does not steal a later event', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Steal', async (ctx) => {
        const first = await ctx.race(ctx.waitForEvent('E'), ctx.scheduleTimer(10));
        const second = await ctx.waitForEvent<string>('E');
        return { firstIndex: first.index, second };
      });
    });
    const id = s.id('no-steal');
    await s.client.startOrchestration(id, 'Steal');
    await s.waitForSubscription(id, 'E', 2);
    await s.client.raiseEvent(id, 'E', 'for-second');
    expect(await s.completed(id)).toEqual({ firstIndex: 1, second: 'for-second' });
    expect(await s.kinds(id)).toContain('ExternalSubscribedCancelled');
  });

  test('[43] race of two events: the first delivered in history wins', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('EitherEvent', async (ctx) => {
        const r = await ctx.race(ctx.waitForEvent<string>('A'), ctx.waitForEvent<string>('B'));
        return `${r.index}:${r.value}`;
      });
    });
    const id = s.id('race-events');
    await s.client.startOrchestration(id, 'EitherEvent');
    await s.waitForSubscription(id, 'B');
    await s.waitForSubscription(id, 'A');
    await s.client.raiseEvent(id, 'B', 'b-first');
    await s.client.raiseEvent(id, 'A', 'a-second');
    expect(await s.completed(id)).toBe('1:b-first');
  });

  test('[43] race of three mixed members: the winner follows history order', async (s) => {
    const release = s.gate();
    await s.startRuntime((rt) => {
      rt.registerActivity('Held', async () => {
        await release.promise;
        return 'held';
      });
      rt.registerOrchestration('Three', async (ctx) => {
        const r = await ctx.race(ctx.waitForEvent('A'), ctx.scheduleActivity('Held'), ctx.waitForEvent('C'));
        return `${r.index}:${String(r.value)}`;
      });
    });
    const id = s.id('race3');
    await s.client.startOrchestration(id, 'Three');
    await s.waitForSubscription(id, 'C');
    await s.client.raiseEvent(id, 'C', 'c');
    expect(await s.completed(id)).toBe('2:c');
    release.open();
  });
}
