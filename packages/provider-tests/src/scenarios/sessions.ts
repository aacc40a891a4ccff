import { ConfigurationError, Runtime } from '@duroxide/core';
import { expect } from 'vitest';
import { scenarioIt, waitUntil } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** What one activity execution saw: its session and the worker slot that ran it. */
interface Seen {
  input: string;
  sessionId: string | null;
  workerId: string;
  node: string;
}

/** Registers `Where`, an activity that records where it ran into `log` and returns its input. */
function registerWhere(rt: Runtime, node: string, log: Seen[]): void {
  rt.registerActivity('Where', async (ctx, input: string) => {
    log.push({ input, sessionId: ctx.sessionId, workerId: ctx.workerId, node });
    return input;
  });
}

/** The owner identity a worker slot uses for sessions: the node id when set, else the slot's worker id. */
function owners(log: Seen[], sessionId: string): Set<string> {
  return new Set(log.filter((s) => s.sessionId === sessionId).map((s) => s.workerId));
}

/** Checklist 66-67 and 82: session affinity, capacity, shared node identity, crash recovery. */
export function sessionScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[66] session activities expose sessionId and stay on one worker; mixed with plain activities', async (s) => {
    const log: Seen[] = [];
    await s.startRuntime((rt) => {
      registerWhere(rt, 'n', log);
      rt.registerOrchestration('Mixed', async (ctx) => {
        const out: string[] = [];
        for (let i = 0; i < 3; i++) {
          out.push(await ctx.scheduleActivityOnSession('Where', `a${i}`, 'sess-A'));
          out.push(await ctx.scheduleActivity<string>('Where', `p${i}`));
          out.push(await ctx.scheduleActivity<string>('Where', `b${i}`, { sessionId: 'sess-B' }));
        }
        return out;
      });
    });
    const id = s.id('sessions');
    expect((await s.run(id, 'Mixed')).output).toHaveLength(9);
    expect(log.filter((x) => x.input.startsWith('p')).every((x) => x.sessionId === null)).toBe(true);
    expect(log.filter((x) => x.input.startsWith('a')).every((x) => x.sessionId === 'sess-A')).toBe(true);
    // Affinity: every activity of a session ran on the single owner that claimed it.
    expect(owners(log, 'sess-A').size).toBe(1);
    expect(owners(log, 'sess-B').size).toBe(1);
    const scheduled = (await s.history(id)).filter((e) => e.kind === 'ActivityScheduled');
    expect(scheduled.map((e) => e.sessionId ?? null).slice(0, 3)).toEqual(['sess-A', null, 'sess-B']);
  });

  test('[66] workerNodeId: all slots share one identity, so two slots serve one session concurrently', async (s) => {
    const both = s.gate();
    let running = 0;
    const slots = new Set<string>();
    await s.startRuntime(
      (rt) => {
        rt.registerActivity('Meet', async (ctx) => {
          slots.add(ctx.workerId);
          running += 1;
          if (running === 2) both.open();
          await both.promise;
          return ctx.workerId;
        });
        rt.registerOrchestration('Pair', async (ctx) => {
          const r = await ctx.all([
            ctx.scheduleActivityOnSession('Meet', 1, 'chat'),
            ctx.scheduleActivityOnSession('Meet', 2, 'chat'),
          ]);
          return r.length;
        });
      },
      { workerConcurrency: 2, workerNodeId: 'pod-7' },
    );
    const id = s.id('node-id');
    expect((await s.run(id, 'Pair')).output).toBe(2);
    // Both activities were in flight at once, on two different slots of the same node.
    expect([...slots].sort()).toEqual(['work-0-pod-7', 'work-1-pod-7']);
  });

  test('[66][82] fan-out per session across two nodes: each session is served by exactly one node', async (s) => {
    const log: Seen[] = [];
    for (const node of ['node-a', 'node-b']) {
      await s.startRuntime(
        (rt) => {
          registerWhere(rt, node, log);
          rt.registerOrchestration('Chat', async (ctx, sessions: string[]) => {
            const turns = sessions.flatMap((sid) =>
              [1, 2, 3].map((t) => ctx.scheduleActivityOnSession('Where', `${sid}:${t}`, sid)),
            );
            return (await ctx.all(turns)).length;
          });
        },
        { workerNodeId: node, workerConcurrency: 2 },
      );
    }
    const id = s.id('fanout');
    expect((await s.run(id, 'Chat', ['s1', 's2', 's3', 's4'])).output).toBe(12);
    for (const sid of ['s1', 's2', 's3', 's4']) {
      expect(new Set(log.filter((x) => x.sessionId === sid).map((x) => x.node)).size).toBe(1);
    }
  });

  test('[66] sessions survive continue-as-new, also across a versioned upgrade', async (s) => {
    const log: Seen[] = [];
    await s.startRuntime(
      (rt) => {
        registerWhere(rt, 'n', log);
        rt.registerOrchestrationVersioned('Agent', '1.0.0', async (ctx, n: number) => {
          await ctx.scheduleActivityOnSession('Where', `v1:${n}`, 'agent-session');
          return ctx.continueAsNewVersioned(n + 1, '2.0.0');
        });
        rt.registerOrchestrationVersioned('Agent', '2.0.0', async (ctx, n: number) => {
          await ctx.scheduleActivityOnSession('Where', `v2:${n}`, 'agent-session');
          if (n < 3) return ctx.continueAsNew(n + 1);
          return ctx.orchestrationVersion;
        });
      },
      { workerConcurrency: 3 },
    );
    const id = s.id('agent');
    await s.client.startOrchestrationVersioned(id, 'Agent', 1, '1.0.0');
    expect(await s.completed(id)).toBe('2.0.0');
    expect(log.map((x) => x.input)).toEqual(['v1:1', 'v2:2', 'v2:3']);
    expect(owners(log, 'agent-session').size).toBe(1);
  });

  test('[67] the idle timeout must exceed the worker renewal window (ConfigurationError at construction)', async (s) => {
    const build = () =>
      new Runtime(s.provider, {
        workerLockTimeoutMs: 10_000,
        workerLockRenewalBufferMs: 2_000,
        sessionIdleTimeoutMs: 8_000,
      });
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(/sessionIdleTimeoutMs: must be greater than .*8000 ms/);
    expect(
      () =>
        new Runtime(s.provider, {
          workerLockTimeoutMs: 10_000,
          workerLockRenewalBufferMs: 2_000,
          sessionIdleTimeoutMs: 8_001,
        }),
    ).not.toThrow();
  });

  test('[67] maxSessionsPerRuntime is enforced and a slot frees when its session work completes', async (s) => {
    const firstGate = s.gate();
    const order: string[] = [];
    await s.startRuntime(
      (rt) => {
        rt.registerActivity('Work', async (_ctx, label: string) => {
          order.push(`start ${label}`);
          if (label === 'A') await firstGate.promise;
          order.push(`end ${label}`);
          return label;
        });
        rt.registerOrchestration('TwoSessions', async (ctx) => {
          const a = ctx.scheduleActivityOnSession('Work', 'A', 'session-A');
          const b = ctx.scheduleActivityOnSession('Work', 'B', 'session-B');
          const plain = ctx.scheduleActivity<string>('Work', 'plain');
          return (await ctx.all([a, b, plain])).map((r) => ('ok' in r ? r.ok : r.err));
        });
      },
      // A shared node identity: whichever slot frees up may take B's session.
      { workerConcurrency: 3, maxSessionsPerRuntime: 1, workerNodeId: 'single-session-node' },
    );
    const id = s.id('max-sessions');
    await s.client.startOrchestration(id, 'TwoSessions');
    // A holds the only session slot; a plain activity still runs, B waits for the slot.
    await waitUntil(
      () => (order.includes('end plain') && order.includes('start A') ? true : undefined),
      'A and plain',
    );
    expect(order).not.toContain('start B');
    firstGate.open();
    expect(await s.completed(id)).toEqual(['A', 'B', 'plain']);
    expect(order.indexOf('start B')).toBeGreaterThan(order.indexOf('end A'));
  });

  test('[66] a crashed owner: after its lease lapses another node claims the session', async (s) => {
    const log: Seen[] = [];
    const orchestration = (rt: Runtime) =>
      rt.registerOrchestration('Sticky', async (ctx) => {
        const first = await ctx.scheduleActivityOnSession('Where', 'one', 'sticky');
        await ctx.waitForEvent('next');
        const second = await ctx.scheduleActivityOnSession('Where', 'two', 'sticky');
        return [first, second];
      });
    const lease = { sessionLockTimeoutMs: 300 };
    const a = await s.startRuntime(
      (rt) => {
        registerWhere(rt, 'node-a', log);
        orchestration(rt);
      },
      { ...lease, workerNodeId: 'node-a' },
    );
    const id = s.id('crash-session');
    await s.client.startOrchestration(id, 'Sticky');
    await s.waitForSubscription(id, 'next');
    await s.stopRuntime(a);
    await s.startRuntime(
      (rt) => {
        registerWhere(rt, 'node-b', log);
        orchestration(rt);
      },
      { ...lease, workerNodeId: 'node-b' },
    );
    await s.client.raiseEvent(id, 'next');
    expect(await s.completed(id)).toEqual(['one', 'two']);
    expect(log.map((x) => `${x.input}@${x.node}`)).toEqual(['one@node-a', 'two@node-b']);
  });
}
