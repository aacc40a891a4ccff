import { expect } from 'vitest';
import { scenarioIt } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** Checklist 19 and 22 plus custom status: KV request/response, cross-instance reads, self-pruning. */
export function kvStatusScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[22] KV request/response: events in, answers out through KV', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Square', async (_ctx, n: number) => n * n);
      rt.registerOrchestration('Calculator', async (ctx) => {
        for (;;) {
          const req = await ctx.waitForEvent<{ id: string; n: number } | 'stop'>('request');
          if (req === 'stop') return ctx.getKvLength();
          ctx.setValue(`response:${req.id}`, String(await ctx.scheduleActivity<number>('Square', req.n)));
        }
      });
    });
    const id = s.id('kv-rr');
    await s.client.startOrchestration(id, 'Calculator');
    for (const [rid, n] of [
      ['r1', 3],
      ['r2', 7],
    ] as const) {
      await s.waitForSubscription(id, 'request', rid === 'r1' ? 1 : 2);
      await s.client.raiseEvent(id, 'request', { id: rid, n });
      expect(await s.client.waitForValue(id, `response:${rid}`, 5_000)).toBe(String(n * n));
    }
    expect(await s.client.getKvAllValues(id)).toEqual({ 'response:r1': '9', 'response:r2': '49' });
    await s.waitForSubscription(id, 'request', 3);
    await s.client.raiseEvent(id, 'request', 'stop');
    expect(await s.completed(id)).toBe(2);
    expect(await s.client.getValue(id, 'response:r2')).toBe('49');
  });

  test('[22] cross-instance KV reads and a read-modify-write counter across turns', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('CounterHolder', async (ctx) => {
        for (let i = 0; i < 3; i++) {
          await ctx.waitForEvent('inc');
          ctx.setValue('count', String(Number(ctx.getValue('count') ?? '0') + 1));
        }
        await ctx.waitForEvent('done');
        return ctx.getValue('count');
      });
      rt.registerOrchestration('Reader', async (ctx, target: string) => {
        const count = await ctx.getValueFromInstance(target, 'count');
        const missingKey = await ctx.getValueFromInstance(target, 'nope');
        const missingInstance = await ctx.getValueFromInstance(`${target}-absent`, 'count');
        return { count, missingKey, missingInstance };
      });
    });
    const holder = s.id('kv-holder');
    await s.client.startOrchestration(holder, 'CounterHolder');
    for (let i = 1; i <= 3; i++) {
      await s.waitForSubscription(holder, 'inc', i);
      await s.client.raiseEvent(holder, 'inc');
    }
    expect(await s.client.waitForValue(holder, 'count', 5_000)).toBeTruthy();
    await s.waitForSubscription(holder, 'done');
    expect(await s.client.getValue(holder, 'count')).toBe('3');
    const reader = s.id('kv-reader');
    expect((await s.run(reader, 'Reader', holder)).output).toEqual({
      count: '3',
      missingKey: null,
      missingInstance: null,
    });
    await s.client.raiseEvent(holder, 'done');
    expect(await s.completed(holder)).toBe('3');
  });

  test('[19] a self-pruning eternal orchestration keeps only recent executions', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('PruneMe', async (ctx) => {
        const result = await ctx.getClient().pruneExecutions(ctx.instanceId, { keepLast: 1 });
        return result.executionsDeleted;
      });
      rt.registerOrchestration('SelfPruning', async (ctx, gen: number) => {
        const deleted = await ctx.scheduleActivity<number>('PruneMe');
        ctx.setValue('deleted', String(Number(ctx.getValue('deleted') ?? '0') + deleted));
        if (gen < 5) return ctx.continueAsNew(gen + 1);
        return { gen, execution: ctx.executionId, deleted: ctx.getValue('deleted') };
      });
    });
    const id = s.id('self-prune');
    expect((await s.run(id, 'SelfPruning', 1)).output).toEqual({ gen: 5, execution: 5, deleted: '4' });
    const executions = await s.client.listExecutions(id);
    expect(executions).toContain(5);
    expect(executions.length).toBeLessThanOrEqual(2);
  });

  test('[9] custom status progress is observable with waitForStatusChange, versions grow', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Progress', async (ctx) => {
        for (const step of ['validating', 'charging', 'shipping']) {
          ctx.setCustomStatus(step);
          await ctx.waitForEvent('next');
        }
        ctx.resetCustomStatus();
        return 'done';
      });
    });
    const id = s.id('progress');
    await s.client.startOrchestration(id, 'Progress');
    const seen: string[] = [];
    let version = 0;
    for (let i = 1; i <= 3; i++) {
      const status = await s.client.waitForStatusChange(id, version, 10, 5_000);
      expect(status.customStatusVersion).toBeGreaterThan(version);
      version = status.customStatusVersion;
      seen.push(String(status.customStatus));
      await s.waitForSubscription(id, 'next', i);
      await s.client.raiseEvent(id, 'next');
    }
    expect(seen).toEqual(['validating', 'charging', 'shipping']);
    const final = await s.client.waitForOrchestration(id, 5_000);
    expect(final).toMatchObject({ status: 'Completed', output: 'done', customStatus: null });
    expect(final.customStatusVersion).toBe(4);
  });
}
