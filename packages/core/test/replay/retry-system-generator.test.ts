import {
  backoffDelayMs,
  ConfigurationError,
  normalizeRetryPolicy,
  type OrchestrationContext,
  SYSTEM_ACTIVITY_GET_KV_VALUE,
  SYSTEM_ACTIVITY_NEW_GUID,
  SYSTEM_ACTIVITY_UTC_NOW,
} from '@duroxide/core';
import { describe, expect, it } from 'vitest';
import { turn } from './builders.js';
import { Sim } from './sim.js';

describe('retry policy (§3.2 with API.md)', () => {
  it('defaults: 3 attempts, exponential from 100 ms ×2 capped at 30 s; every backoff shape', () => {
    const p = normalizeRetryPolicy({});
    expect(p).toMatchObject({
      maxAttempts: 3,
      backoff: 'exponential',
      initialDelayMs: 100,
      multiplier: 2,
      maxDelayMs: 30_000,
    });
    expect([1, 2, 3, 20, 2000].map((a) => backoffDelayMs(p, a))).toEqual([100, 200, 400, 30_000, 30_000]);
    const lin = normalizeRetryPolicy({ backoff: 'linear', initialDelayMs: 50, maxDelayMs: 120 });
    expect([1, 2, 3].map((a) => backoffDelayMs(lin, a))).toEqual([50, 100, 120]);
    expect(backoffDelayMs(normalizeRetryPolicy({ backoff: 'fixed', initialDelayMs: 7 }), 9)).toBe(7);
    expect(backoffDelayMs(normalizeRetryPolicy({ backoff: 'none' }), 9)).toBe(0);
  });

  it('maxAttempts < 1 is a ConfigurationError thrown at the call', async () => {
    expect(() => normalizeRetryPolicy({ maxAttempts: 0 })).toThrow(ConfigurationError);
    let thrown: unknown;
    await turn(async (ctx) => {
      try {
        ctx.scheduleActivityWithRetry('A', null, { maxAttempts: 0 });
      } catch (e) {
        thrown = e;
      }
    });
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as Error).message).toMatch(/maxAttempts/);
  });

  const flaky = (failures: number) => {
    let calls = 0;
    return () => {
      calls += 1;
      if (calls <= failures) throw new Error(`fail #${calls}`);
      return `ok after ${calls}`;
    };
  };

  it('fails then succeeds with one ActivityScheduled per attempt and durable backoff timers', async () => {
    const sim = new Sim(
      {
        Orch: async (ctx) =>
          ctx.scheduleActivityWithRetry('Flaky', null, {
            maxAttempts: 3,
            backoff: 'fixed',
            initialDelayMs: 10,
          }),
      },
      { Flaky: flaky(2) },
    );
    sim.start('i1', 'Orch');
    await sim.runToIdle();
    expect(sim.output('i1')).toBe('ok after 3');
    const h = sim.history('i1');
    expect(h.filter((e) => e.kind === 'ActivityScheduled')).toHaveLength(3);
    expect(h.filter((e) => e.kind === 'TimerCreated')).toHaveLength(2);
    expect(sim.traces.filter((t) => t.includes("Activity 'Flaky' attempt"))).toHaveLength(2);
  });

  it('exhaustion rejects with the last error', async () => {
    const sim = new Sim(
      {
        Orch: async (ctx) =>
          ctx
            .scheduleActivity('Flaky', null, { retry: { maxAttempts: 2, backoff: 'none' } })
            .then(undefined, (e: Error) => e.message),
      },
      { Flaky: flaky(5) },
    );
    sim.start('i1', 'Orch');
    await sim.runToIdle();
    expect(sim.output('i1')).toBe('fail #2');
  });

  it('a per-attempt timeout fails with timeout: and is not retried', async () => {
    const sim = new Sim({
      Orch: async (ctx) =>
        ctx
          .scheduleActivityWithRetry('Never', null, { maxAttempts: 5, timeoutMs: 50 })
          .then(undefined, (e: Error) => e.message),
    });
    sim.start('i1', 'Orch');
    await sim.turn('i1');
    sim.worker = [];
    await sim.runToIdle();
    expect(sim.output('i1')).toBe('timeout: activity timed out');
    expect(sim.history('i1').filter((e) => e.kind === 'ActivityScheduled')).toHaveLength(1);
    expect(sim.history('i1').filter((e) => e.kind === 'ActivityCancelRequested')).toHaveLength(1);
  });

  it('totalTimeoutMs is a real budget across attempts', async () => {
    const sim = new Sim(
      {
        Orch: async (ctx) =>
          ctx
            .scheduleActivityWithRetry('Flaky', null, {
              maxAttempts: 10,
              backoff: 'fixed',
              initialDelayMs: 400,
              totalTimeoutMs: 1000,
            })
            .then(undefined, (e: Error) => e.message),
      },
      { Flaky: flaky(100) },
    );
    sim.start('i1', 'Orch');
    await sim.runToIdle();
    expect(sim.output('i1')).toMatch(/^timeout: retry budget of 1000ms exhausted/);
    expect(sim.history('i1').filter((e) => e.kind === 'ActivityScheduled')).toHaveLength(3);
  });

  it('replays deterministically (same history after a full replay)', async () => {
    const code = async (ctx: OrchestrationContext) =>
      ctx.scheduleActivityWithRetry('Flaky', null, { maxAttempts: 3 });
    const sim = new Sim({ Orch: code }, { Flaky: flaky(1) });
    sim.start('i1', 'Orch');
    await sim.runToIdle();
    expect(sim.output('i1')).toBe('ok after 2');
  });
});

describe('system calls (§3.11)', () => {
  it('utcNow, newGuid and getValueFromInstance are activities with exact names and replay their results', async () => {
    const code = async (ctx: OrchestrationContext) => {
      const now = await ctx.utcNow();
      const guid = await ctx.newGuid();
      const other = await ctx.getValueFromInstance('other', 'k');
      return { now, guid, other, type: typeof now };
    };
    const seen: unknown[] = [];
    const sim = new Sim(
      { Orch: code },
      {
        [SYSTEM_ACTIVITY_UTC_NOW]: () => 1234,
        [SYSTEM_ACTIVITY_NEW_GUID]: () => 'guid-1',
        [SYSTEM_ACTIVITY_GET_KV_VALUE]: (input) => {
          seen.push(input);
          return 'v';
        },
      },
    );
    sim.start('i1', 'Orch');
    await sim.runToIdle();
    expect(sim.output('i1')).toEqual({ now: 1234, guid: 'guid-1', other: 'v', type: 'number' });
    expect(seen).toEqual([{ instanceId: 'other', key: 'k' }]);
    expect(SYSTEM_ACTIVITY_UTC_NOW).toBe('__duroxide_syscall:utc_now_ms');
    expect(SYSTEM_ACTIVITY_NEW_GUID).toBe('__duroxide_syscall:new_guid');
    expect(SYSTEM_ACTIVITY_GET_KV_VALUE).toBe('__duroxide_syscall:get_kv_value');
  });
});

describe('generator orchestrations', () => {
  it('yield task evaluates to the result; failures are thrown into the generator; composition works', async () => {
    const sim = new Sim(
      {
        Gen: function* (ctx: OrchestrationContext, name: string) {
          const greeting: string = yield ctx.scheduleActivity('Greet', name);
          let caught = '';
          try {
            yield ctx.scheduleActivity('Boom');
          } catch (e) {
            caught = (e as Error).message;
          }
          const all: unknown = yield ctx.all([ctx.scheduleActivity('Greet', 'a'), ctx.scheduleTimer(5)]);
          const plain: number = yield 42;
          return { greeting, caught, all, plain };
        },
      },
      {
        Greet: (n: string) => `Hello, ${n}!`,
        Boom: () => {
          throw new Error('kaboom');
        },
      },
    );
    sim.start('i1', 'Gen', 'World');
    await sim.runToIdle();
    expect(sim.output('i1')).toEqual({
      greeting: 'Hello, World!',
      caught: 'kaboom',
      all: [{ ok: 'Hello, a!' }, { ok: null }],
      plain: 42,
    });
  });

  it('an uncaught throw in a generator fails the orchestration', async () => {
    const out = await turn(function* () {
      yield 1;
      throw new Error('gen failed');
    } as never);
    expect(out.result).toMatchObject({ type: 'failed', details: { message: 'gen failed' } });
  });
});
