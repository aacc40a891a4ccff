import type { OrchestrationContext } from '@duroxide/core';
import { expect } from 'vitest';
import { scenarioIt } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** Takes the next message of `queue`, or null when none arrives within `ms` (the drain idiom). */
async function tryDequeue(ctx: OrchestrationContext, queue: string, ms: number): Promise<unknown> {
  const r = await ctx.race(ctx.dequeueEvent(queue), ctx.scheduleTimer(ms));
  return r.index === 0 ? r.value : null;
}

/** The idle counter of a `idle:N` custom status (0 before the first idle turn). */
function idleCount(customStatus: string | null | undefined): number {
  return customStatus?.startsWith('idle:') ? Number(customStatus.slice('idle:'.length)) : 0;
}

/** Checklist 20 and 42: persistent event queues (buffered, FIFO, raced with timers). */
export function queueScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[20] config hot-reload: dequeue raced with a timer drains buffered messages, none lost', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('HotReload', async (ctx) => {
        const seen: unknown[] = [];
        let idle = 0;
        for (;;) {
          const msg = await tryDequeue(ctx, 'config', 15);
          if (msg === null) {
            idle += 1;
            ctx.setCustomStatus(`idle:${idle}`);
            continue;
          }
          if (msg === 'stop') return seen;
          seen.push(msg);
        }
      });
    });
    const id = s.id('hot-reload');
    await s.client.startOrchestration(id, 'HotReload');
    // Let several timers win first, so cancelled dequeues precede every message. The idle counter keeps
    // growing while the test polls, so wait for "at least", never for an exact value a poll may skip.
    await s.waitForCustomStatus(id, (c) => idleCount(c) >= 2);
    for (const v of ['v1', 'v2', 'v3']) await s.client.enqueueEvent(id, 'config', v);
    await s.waitForKind(id, 'QueueEventDelivered', 3);
    const idleNow = idleCount((await s.client.getStatus(id)).customStatus);
    await s.waitForCustomStatus(id, (c) => idleCount(c) >= idleNow + 2);
    for (const v of ['v4', 'v5', 'stop']) await s.client.enqueueEvent(id, 'config', v);
    expect(await s.completed(id)).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
    expect(await s.kinds(id)).toContain('QueueSubscriptionCancelled');
  });

  test('[42] messages enqueued before the consumer subscribes are buffered, delivered FIFO', async (s) => {
    const release = s.gate();
    await s.startRuntime((rt) => {
      rt.registerActivity('Block', async () => {
        await release.promise;
        return null;
      });
      rt.registerOrchestration('Consumer', async (ctx) => {
        await ctx.scheduleActivity('Block');
        const out: unknown[] = [];
        for (let i = 0; i < 3; i++) out.push(await ctx.dequeueEvent('inbox'));
        return out;
      });
    });
    const id = s.id('buffered');
    await s.client.startOrchestration(id, 'Consumer');
    await s.waitForKind(id, 'ActivityScheduled');
    await s.client.enqueueEvent(id, 'inbox', { n: 1 });
    await s.client.enqueueEvent(id, 'inbox', { n: 2 });
    await s.client.enqueueEvent(id, 'inbox', { n: 3 });
    await s.waitForKind(id, 'QueueEventDelivered', 3);
    release.open();
    expect(await s.completed(id)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  test('[42] a cancelled consumer leaves a breadcrumb and consumes nothing', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Loser', async (ctx) => {
        const r = await ctx.race(ctx.dequeueEvent('q'), ctx.scheduleTimer(5));
        ctx.setCustomStatus('armed');
        const next = await ctx.dequeueEvent('q');
        return { firstIndex: r.index, next };
      });
    });
    const id = s.id('queue-loser');
    await s.client.startOrchestration(id, 'Loser');
    await s.waitForCustomStatus(id, (c) => c === 'armed');
    await s.client.enqueueEvent(id, 'q', 'only');
    expect(await s.completed(id)).toEqual({ firstIndex: 1, next: 'only' });
    const kinds = await s.kinds(id);
    expect(kinds.filter((k) => k === 'QueueSubscribed')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'QueueSubscriptionCancelled')).toHaveLength(1);
  });

  test('[42] independent queues do not mix', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('TwoQueues', async (ctx) => {
        const a1 = await ctx.dequeueEvent('a');
        const b1 = await ctx.dequeueEvent('b');
        const a2 = await ctx.dequeueEvent('a');
        return [a1, b1, a2];
      });
    });
    const id = s.id('two-queues');
    await s.client.startOrchestration(id, 'TwoQueues');
    await s.waitForKind(id, 'QueueSubscribed');
    await s.client.enqueueEvent(id, 'b', 'b1');
    await s.client.enqueueEvent(id, 'a', 'a1');
    await s.client.enqueueEvent(id, 'b', 'b2');
    await s.client.enqueueEvent(id, 'a', 'a2');
    expect(await s.completed(id)).toEqual(['a1', 'b1', 'a2']);
  });

  test('[42] outstanding consumers are cancelled when the orchestration completes', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Abandon', async (ctx) => {
        void ctx.dequeueEvent('never');
        await ctx.scheduleTimer(1);
        return 'finished';
      });
    });
    const id = s.id('queue-terminal');
    expect((await s.run(id, 'Abandon')).output).toBe('finished');
    const kinds = await s.kinds(id);
    expect(kinds).toContain('QueueSubscriptionCancelled');
    expect(kinds.indexOf('QueueSubscriptionCancelled')).toBeLessThan(kinds.indexOf('OrchestrationCompleted'));
  });

  test('[42] messages enqueued before the instance exists are dropped', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Fresh', async (ctx) => {
        const r = await ctx.race(ctx.dequeueEvent('q'), ctx.scheduleTimer(30));
        return r.index === 0 ? `got ${String(r.value)}` : 'nothing';
      });
    });
    const id = s.id('queue-orphan');
    // The client may refuse outright (unknown instance); if it enqueues, the provider drops the orphan.
    await s.client.enqueueEvent(id, 'q', 'orphan').catch(() => undefined);
    await s.waitForOrchestratorQueueEmpty();
    await s.client.startOrchestration(id, 'Fresh');
    expect(await s.completed(id)).toBe('nothing');
  });
}
