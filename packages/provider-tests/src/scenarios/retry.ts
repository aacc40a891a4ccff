import { ConfigurationError, type RetryPolicy } from '@duroxide/core';
import { expect } from 'vitest';
import { abortedOrAfter, Counter, type HistoryEvent, scenarioIt } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** Delays between attempts as recorded by the retry timers (fire time minus creation time). */
function retryDelays(history: HistoryEvent[]): number[] {
  return history.filter((e) => e.kind === 'TimerCreated').map((e) => (e.fireAtMs as number) - e.timestampMs);
}

/** Checklist 63–64: the retry helper. */
export function retryScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  /** Registers `Flaky` (fails until attempt `okOn`) and `Retry`, which runs it with the input's policy. */
  const setup = (ran: Counter) => (rt: import('@duroxide/core').Runtime) => {
    rt.registerActivity('Flaky', async (_ctx, x: { key: string; okOn: number }) => {
      const attempt = ran.hit(x.key);
      if (attempt < x.okOn) throw new Error(`attempt ${attempt} failed`);
      return `ok on ${attempt}`;
    });
    rt.registerOrchestration('Retry', async (ctx, x: { okOn: number; policy: RetryPolicy }) => {
      try {
        return await ctx.scheduleActivityWithRetry('Flaky', { key: ctx.instanceId, okOn: x.okOn }, x.policy);
      } catch (e) {
        return `error: ${(e as Error).message}`;
      }
    });
  };

  test('[64] success on the first try schedules one attempt', async (s) => {
    const ran = new Counter();
    await s.startRuntime(setup(ran));
    const id = s.id('retry-first');
    expect((await s.run(id, 'Retry', { okOn: 1, policy: { maxAttempts: 3 } })).output).toBe('ok on 1');
    expect((await s.kinds(id)).filter((k) => k === 'ActivityScheduled')).toHaveLength(1);
  });

  test('[64] fail then succeed; one ActivityScheduled per attempt', async (s) => {
    const ran = new Counter();
    await s.startRuntime(setup(ran));
    const id = s.id('retry-then-ok');
    const policy: RetryPolicy = { maxAttempts: 4, backoff: 'fixed', initialDelayMs: 5 };
    expect((await s.run(id, 'Retry', { okOn: 3, policy })).output).toBe('ok on 3');
    const kinds = await s.kinds(id);
    expect(kinds.filter((k) => k === 'ActivityScheduled')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'ActivityFailed')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'TimerCreated')).toHaveLength(2);
  });

  test('[64] exhaustion returns the last error', async (s) => {
    const ran = new Counter();
    await s.startRuntime(setup(ran));
    const id = s.id('retry-exhaust');
    const policy: RetryPolicy = { maxAttempts: 3, backoff: 'none' };
    expect((await s.run(id, 'Retry', { okOn: 99, policy })).output).toMatch(/^error: .*attempt 3 failed/);
    expect(ran.get(id)).toBe(3);
    expect((await s.kinds(id)).filter((k) => k === 'TimerCreated')).toHaveLength(0);
  });

  test('[63] backoff delays follow the strategy and the cap', async (s) => {
    const ran = new Counter();
    await s.startRuntime(setup(ran));
    const cases: [RetryPolicy, number[]][] = [
      [{ maxAttempts: 4, backoff: 'fixed', initialDelayMs: 30 }, [30, 30, 30]],
      [{ maxAttempts: 4, backoff: 'linear', initialDelayMs: 30, maxDelayMs: 70 }, [30, 60, 70]],
      [
        { maxAttempts: 4, backoff: 'exponential', initialDelayMs: 20, multiplier: 3, maxDelayMs: 100 },
        [20, 60, 100],
      ],
    ];
    const ids = cases.map(() => s.id('retry-backoff'));
    await Promise.all(
      cases.map(([policy], i) =>
        s.client.startOrchestration(ids[i] as string, 'Retry', { okOn: 99, policy }),
      ),
    );
    for (const [i, [, expected]] of cases.entries()) {
      const id = ids[i] as string;
      expect(await s.completed(id)).toMatch(/attempt 4 failed/);
      const delays = retryDelays(await s.history(id));
      expect(delays).toHaveLength(3);
      delays.forEach((d, k) => {
        expect(d).toBeGreaterThanOrEqual((expected[k] as number) - 10);
        expect(d).toBeLessThanOrEqual((expected[k] as number) + 15);
      });
    }
  });

  test('[63] maxAttempts < 1 is a ConfigurationError at the call', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Flaky', async () => 'never');
      rt.registerOrchestration('Zero', async (ctx) => {
        try {
          await ctx.scheduleActivityWithRetry('Flaky', null, { maxAttempts: 0 });
          return 'accepted';
        } catch (e) {
          return { configuration: e instanceof ConfigurationError, message: (e as Error).message };
        }
      });
    });
    const out = (await s.run(s.id('retry-zero'), 'Zero')).output as {
      configuration: boolean;
      message: string;
    };
    expect(out.configuration).toBe(true);
    expect(out.message).toContain('maxAttempts');
  });

  test('[64] a timed-out attempt fails with timeout: and is not retried', async (s) => {
    const ran = new Counter();
    await s.startRuntime((rt) => {
      rt.registerActivity('Slow', async (ctx) => {
        ran.hit();
        await abortedOrAfter(ctx.signal, 5_000);
        return 'too late';
      });
      rt.registerOrchestration('Timeout', async (ctx) => {
        try {
          return await ctx.scheduleActivityWithRetry('Slow', null, { maxAttempts: 3, timeoutMs: 30 });
        } catch (e) {
          return `error: ${(e as Error).message}`;
        }
      });
    });
    const id = s.id('retry-timeout');
    expect((await s.run(id, 'Timeout')).output).toMatch(/^error: timeout:/);
    // Under load the 30 ms attempt can time out before a worker even picks it up: at most one run.
    expect(ran.get()).toBeLessThanOrEqual(1);
    expect((await s.kinds(id)).filter((k) => k === 'ActivityScheduled')).toHaveLength(1);
  });

  test('[64] errors are retried, then a timed-out attempt ends the retries', async (s) => {
    const ran = new Counter();
    await s.startRuntime((rt) => {
      rt.registerActivity('FailThenHang', async (ctx) => {
        if (ran.hit() === 1) throw new Error('first attempt fails');
        await abortedOrAfter(ctx.signal, 5_000);
        return 'too late';
      });
      rt.registerOrchestration('Mixed', async (ctx) => {
        try {
          // The per-attempt timer starts when the attempt is scheduled, so the failing first attempt must
          // round-trip (worker run, ack, orchestrator fetch) within it: generous for a loaded machine.
          return await ctx.scheduleActivityWithRetry('FailThenHang', null, {
            maxAttempts: 5,
            backoff: 'none',
            timeoutMs: 400,
          });
        } catch (e) {
          return `error: ${(e as Error).message}`;
        }
      });
    });
    const id = s.id('retry-mixed');
    expect((await s.run(id, 'Mixed')).output).toMatch(/^error: timeout:/);
    const history = await s.history(id);
    const attempts = history.filter((e) => e.kind === 'ActivityScheduled');
    expect(attempts).toHaveLength(2);
    const firstEnd = history.find(
      (e) => e.sourceEventId === attempts[0]?.eventId && e.kind.startsWith('Activity'),
    );
    expect(firstEnd).toMatchObject({ kind: 'ActivityFailed' });
    expect(history.filter((e) => e.kind === 'ActivityCancelRequested')).toHaveLength(1);
  });

  test('[64] session retries keep the session on every attempt; retries work across continue-as-new', async (s) => {
    const sessions: (string | null)[] = [];
    const ran = new Counter();
    await s.startRuntime((rt) => {
      rt.registerActivity('SessionFlaky', async (ctx, key: string) => {
        sessions.push(ctx.sessionId);
        if (ran.hit(key) < 2) throw new Error(`first attempt of ${key} fails`);
        return `${key} ok`;
      });
      rt.registerOrchestration('RetryGens', async (ctx, gen: number) => {
        const policy: RetryPolicy = { maxAttempts: 3, backoff: 'fixed', initialDelayMs: 5 };
        const r = await ctx.scheduleActivityWithRetryOnSession('SessionFlaky', `gen${gen}`, policy, 'sess-1');
        if (gen === 1) return ctx.continueAsNew(2);
        return r;
      });
    });
    const id = s.id('retry-session-can');
    expect((await s.run(id, 'RetryGens', 1)).output).toBe('gen2 ok');
    expect(sessions).toEqual(['sess-1', 'sess-1', 'sess-1', 'sess-1']);
    const scheduled = (await s.history(id)).filter((e) => e.kind === 'ActivityScheduled');
    expect(scheduled.map((e) => e.sessionId)).toEqual(['sess-1', 'sess-1']);
  });

  test('[64] totalTimeoutMs bounds all attempts together', async (s) => {
    const ran = new Counter();
    await s.startRuntime(setup(ran));
    const id = s.id('retry-total');
    // The budget must outlast a loaded round trip of the first failing attempt, so retries happen in it.
    const policy: RetryPolicy = {
      maxAttempts: 50,
      backoff: 'fixed',
      initialDelayMs: 20,
      totalTimeoutMs: 400,
    };
    const out = (await s.run(id, 'Retry', { okOn: 999, policy })).output as string;
    expect(out).toMatch(/^error: timeout: retry budget of 400ms exhausted/);
    expect(ran.get(id)).toBeLessThan(50);
    expect(ran.get(id)).toBeGreaterThanOrEqual(2);
  });
}
