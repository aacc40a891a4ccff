import { ActivityFailedError } from '@duroxide/core';
import { expect } from 'vitest';
import { abortedOrAfter, Counter, scenarioIt } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checklist 1–9: the duroxide samples (hello world, branching, loops, compensation, races, fan-out, status). */
export function basicsScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[1] hello world: one activity returns its output', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Greet', async (_ctx, name: string) => `Hello, ${name}!`);
      rt.registerOrchestration('Hello', async (ctx, name: string) => ctx.scheduleActivity('Greet', name));
    });
    const id = s.id('hello');
    await s.client.startOrchestration(id, 'Hello', 'World');
    const status = await s.client.waitForOrchestration(id, 5_000);
    expect(status).toMatchObject({ status: 'Completed', output: 'Hello, World!' });
  });

  test('[1] generator orchestrations run on the same engine', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Greet', async (_ctx, name: string) => `Hello, ${name}!`);
      rt.registerOrchestration('HelloGen', function* (ctx, name: string) {
        const a: string = yield ctx.scheduleActivity('Greet', name);
        const b: string = yield ctx.scheduleActivity('Greet', a);
        return b;
      });
    });
    const id = s.id('hello-gen');
    expect((await s.run(id, 'HelloGen', 'x')).output).toBe('Hello, Hello, x!!');
  });

  test('[2] branching on an activity result drives different follow-ups', async (s) => {
    const ran = new Counter();
    await s.startRuntime((rt) => {
      rt.registerActivity('Classify', async (_ctx, n: number) => (n % 2 === 0 ? 'even' : 'odd'));
      rt.registerActivity('EvenPath', async (_ctx, n: number) => {
        ran.hit('even');
        return `even:${n}`;
      });
      rt.registerActivity('OddPath', async (_ctx, n: number) => {
        ran.hit('odd');
        return `odd:${n}`;
      });
      rt.registerOrchestration('Branch', async (ctx, n: number) => {
        const kind = await ctx.scheduleActivity<string>('Classify', n);
        return kind === 'even' ? ctx.scheduleActivity('EvenPath', n) : ctx.scheduleActivity('OddPath', n);
      });
    });
    expect((await s.run(s.id('branch'), 'Branch', 4)).output).toBe('even:4');
    expect((await s.run(s.id('branch'), 'Branch', 7)).output).toBe('odd:7');
    expect([ran.get('even'), ran.get('odd')]).toEqual([1, 1]);
  });

  test('[3] a loop calling an activity N times accumulates; traces are emitted once per iteration', async (s) => {
    const ran = new Counter();
    const traces: string[] = [];
    const capture = (message: string) => {
      if (message.startsWith('iteration ')) traces.push(message);
    };
    const logger = { debug: capture, info: capture, warn: capture, error: capture };
    await s.startRuntime(
      (rt) => {
        rt.registerActivity('Add', async (_ctx, x: { acc: number; i: number }) => {
          ran.hit(String(x.i));
          return x.acc + x.i;
        });
        rt.registerOrchestration('Loop', async (ctx, n: number) => {
          let acc = 0;
          for (let i = 1; i <= n; i++) {
            ctx.traceInfo(`iteration ${i}`);
            acc = await ctx.scheduleActivity<number>('Add', { acc, i });
          }
          return acc;
        });
      },
      { observability: { logger, logLevel: 'off', traceLevel: 'info' } },
    );
    const id = s.id('loop');
    expect((await s.run(id, 'Loop', 5)).output).toBe(15);
    expect([1, 2, 3, 4, 5].map((i) => ran.get(String(i)))).toEqual([1, 1, 1, 1, 1]);
    // Each turn replays the earlier iterations; replayed traces must stay silent.
    expect(traces).toEqual([1, 2, 3, 4, 5].map((i) => `iteration ${i}`));
    const kinds = await s.kinds(id);
    expect(kinds.filter((k) => k === 'ActivityScheduled')).toHaveLength(5);
    expect(kinds.filter((k) => k === 'ActivityCompleted')).toHaveLength(5);
  });

  test('[4] an activity failure is handled in code with a compensating activity', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Debit', async () => {
        throw new Error('insufficient funds');
      });
      rt.registerActivity('Refund', async (_ctx, reason: string) => `refunded (${reason})`);
      rt.registerOrchestration('Pay', async (ctx) => {
        try {
          await ctx.scheduleActivity('Debit', 10);
          return 'paid';
        } catch (e) {
          const typed = e instanceof ActivityFailedError;
          const message = (e as Error).message;
          return { typed, refund: await ctx.scheduleActivity('Refund', message) };
        }
      });
    });
    const status = await s.run(s.id('comp'), 'Pay');
    expect(status.status).toBe('Completed');
    const output = status.output as { typed: boolean; refund: string };
    expect(output.typed).toBe(true);
    expect(output.refund).toContain('insufficient funds');
  });

  test('[5] a long activity raced against a short timer: the timer wins and the run fails with a timeout', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Slow', async (ctx) => {
        await abortedOrAfter(ctx.signal, 10_000);
        return 'slow done';
      });
      rt.registerOrchestration('Deadline', async (ctx) => {
        const winner = await ctx.race(ctx.scheduleActivity('Slow'), ctx.scheduleTimer(20));
        if (winner.index === 1) throw new Error('timeout: Slow took too long');
        return winner.value;
      });
    });
    const id = s.id('deadline');
    await s.client.startOrchestration(id, 'Deadline');
    expect(await s.failed(id)).toContain('timeout: Slow took too long');
  });

  test('[6] race(activity, event): the activity wins when it finishes first', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Quick', async () => 'quick');
      rt.registerOrchestration('Select', async (ctx) => {
        const r = await ctx.race(ctx.scheduleActivity<string>('Quick'), ctx.waitForEvent<string>('Approve'));
        return r.index === 0 ? `activity:${r.value}` : `event:${r.value}`;
      });
    });
    expect((await s.run(s.id('sel-a'), 'Select')).output).toBe('activity:quick');
  });

  test('[6] race(activity, event): the event wins when it is first in history', async (s) => {
    const release = s.gate();
    await s.startRuntime((rt) => {
      rt.registerActivity('Blocked', async () => {
        await release.promise;
        return 'late';
      });
      rt.registerOrchestration('Select', async (ctx) => {
        const r = await ctx.race(
          ctx.scheduleActivity<string>('Blocked'),
          ctx.waitForEvent<string>('Approve'),
        );
        return r.index === 0 ? `activity:${r.value}` : `event:${r.value}`;
      });
    });
    const id = s.id('sel-e');
    await s.client.startOrchestration(id, 'Select');
    await s.waitForSubscription(id, 'Approve');
    await s.client.raiseEvent(id, 'Approve', 'yes');
    expect(await s.completed(id)).toBe('event:yes');
    release.open();
  });

  test('[7] fan-out/fan-in results ordered by argument, not completion time', async (s) => {
    const gates = [s.gate(), s.gate(), s.gate()];
    await s.startRuntime((rt) => {
      rt.registerActivity('Work', async (_ctx, i: number) => {
        await gates[i]?.promise;
        return `r${i}`;
      });
      rt.registerOrchestration('FanOut', async (ctx) => {
        const results = await ctx.all([0, 1, 2].map((i) => ctx.scheduleActivity<string>('Work', i)));
        return results;
      });
    });
    const id = s.id('fan');
    await s.client.startOrchestration(id, 'FanOut');
    await s.waitForKind(id, 'ActivityScheduled', 3);
    // Complete in reverse order, each only after the previous completion is in history.
    for (const i of [2, 1, 0]) {
      gates[i]?.open();
      await s.waitForKind(id, 'ActivityCompleted', 3 - i);
    }
    expect(await s.completed(id)).toEqual([{ ok: 'r0' }, { ok: 'r1' }, { ok: 'r2' }]);
    const completions = (await s.history(id)).filter((e) => e.kind === 'ActivityCompleted');
    expect(completions.map((e) => e.result)).toEqual(['"r2"', '"r1"', '"r0"']);
  });

  test('[8] newGuid/utcNow are well formed and replay identically', async (s) => {
    const before = Date.now();
    await s.startRuntime((rt) => {
      rt.registerActivity('Echo', async (_ctx, x: unknown) => x);
      rt.registerOrchestration('Ids', async (ctx) => {
        const guid = await ctx.newGuid();
        const now = await ctx.utcNow();
        // Echo the values: a different value on replay would be an input mismatch (nondeterminism).
        await ctx.scheduleActivity('Echo', { guid, now });
        await ctx.scheduleTimer(5);
        const echoed = await ctx.scheduleActivity('Echo', { guid, now });
        return echoed;
      });
    });
    const out = (await s.run(s.id('ids'), 'Ids')).output as { guid: string; now: number };
    expect(out.guid).toMatch(GUID);
    expect(out.now).toBeGreaterThanOrEqual(before - 1);
    expect(out.now).toBeLessThanOrEqual(Date.now());
  });

  test('[9] status polling sees NotFound, Running, then Completed', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Waits', async (ctx) => `got ${await ctx.waitForEvent<string>('Go')}`);
    });
    const id = s.id('status');
    expect((await s.client.getStatus(id)).status).toBe('NotFound');
    await s.client.startOrchestration(id, 'Waits');
    await s.waitForSubscription(id, 'Go');
    expect((await s.client.getStatus(id)).status).toBe('Running');
    await s.client.raiseEvent(id, 'Go', 'it');
    await s.completed(id);
    const status = await s.client.getStatus(id);
    expect(status).toMatchObject({ status: 'Completed', output: 'got it' });
  });
}
