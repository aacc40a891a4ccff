import {
  type ActivityFailedError,
  defineActivity,
  defineOrchestration,
  type OrchestrationContext,
} from '@duroxide/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, type Harness, harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('runtime end to end on SQLite: basics', () => {
  it('runs hello world from start to completion', async () => {
    h = await harness();
    h.runtime.registerActivity('Greet', async (_ctx, name: string) => `Hello, ${name}!`);
    h.runtime.registerOrchestration('Hello', async (ctx: OrchestrationContext, name: string) => {
      return ctx.scheduleActivity<string>('Greet', name);
    });
    await h.start();
    await h.client.startOrchestration('hello-1', 'Hello', 'World');
    const result = await h.client.waitForOrchestration('hello-1', 5_000);
    expect(result).toEqual({
      status: 'Completed',
      output: 'Hello, World!',
      customStatus: null,
      customStatusVersion: 0,
    });
    expect(h.runtime.metricsSnapshot()).toMatchObject({
      orchStarts: 1,
      orchCompletions: 1,
      activitySuccess: 1,
    });
  });

  it('runs generator orchestrations and typed handles', async () => {
    h = await harness();
    const add = defineActivity('Add', async (_ctx, p: { a: number; b: number }) => p.a + p.b);
    const sum = defineOrchestration('Sum', function* (ctx: OrchestrationContext, n: number) {
      const x: number = yield ctx.scheduleActivity(add, { a: n, b: 1 });
      return x * 10;
    });
    h.runtime.register(add, sum);
    await h.start();
    await h.client.startOrchestration('sum-1', sum, 4);
    const result = await h.client.waitForOrchestration<number>('sum-1', 5_000);
    expect(result.output).toBe(50);
  });

  it('lets orchestration code catch an activity failure with its message', async () => {
    h = await harness();
    h.runtime.registerActivity('Charge', async () => {
      throw new Error('card declined');
    });
    h.runtime.registerOrchestration('Pay', async (ctx: OrchestrationContext) => {
      try {
        await ctx.scheduleActivity('Charge', 10);
        return 'charged';
      } catch (err) {
        return `caught ${(err as Error).constructor.name}: ${(err as ActivityFailedError).message}`;
      }
    });
    await h.start();
    await h.client.startOrchestration('pay-1', 'Pay');
    const result = await h.client.waitForOrchestration('pay-1', 5_000);
    expect(result.output).toBe('caught ActivityFailedError: card declined');
    expect(h.runtime.metricsSnapshot().activityAppErrors).toBe(1);
  });

  it('fails the instance when an activity failure is not caught', async () => {
    h = await harness();
    h.runtime.registerActivity('Boom', async () => {
      throw new Error('kaput');
    });
    h.runtime.registerOrchestration('Fragile', async (ctx: OrchestrationContext) =>
      ctx.scheduleActivity('Boom'),
    );
    await h.start();
    await h.client.startOrchestration('fragile-1', 'Fragile');
    const result = await h.client.waitForOrchestration('fragile-1', 5_000);
    expect(result.status).toBe('Failed');
    expect(result.error).toContain('kaput');
    expect(result.failureDetails?.category).toBe('application');
  });

  it('fires durable timers no earlier than asked', async () => {
    h = await harness();
    h.runtime.registerOrchestration('Sleepy', async (ctx: OrchestrationContext) => {
      const before = await ctx.utcNow();
      await ctx.scheduleTimer(150);
      const after = await ctx.utcNow();
      return after - before;
    });
    await h.start();
    const began = Date.now();
    await h.client.startOrchestration('sleepy-1', 'Sleepy');
    const result = await h.client.waitForOrchestration<number>('sleepy-1', 5_000);
    expect(Date.now() - began).toBeGreaterThanOrEqual(150);
    expect(result.output).toBeGreaterThanOrEqual(150);
  });

  it('delivers an external event raised while the orchestration waits', async () => {
    h = await harness();
    h.runtime.registerOrchestration('Approval', async (ctx: OrchestrationContext) => {
      ctx.setCustomStatus('waiting');
      const decision = await ctx.waitForEvent<{ approved: boolean }>('Decision');
      return decision.approved ? 'approved' : 'rejected';
    });
    await h.start();
    await h.client.startOrchestration('approval-1', 'Approval');
    const waiting = await h.client.waitForStatusChange('approval-1', 0, 50, 5_000);
    expect(waiting.customStatus).toBe('waiting');
    await h.client.raiseEvent('approval-1', 'Decision', { approved: true });
    const result = await h.client.waitForOrchestration('approval-1', 5_000);
    expect(result.output).toBe('approved');
    expect(result.customStatusVersion).toBe(1);
  });

  it('buffers persistent queue messages sent before the orchestration dequeues', async () => {
    h = await harness();
    h.runtime.registerOrchestration('Inbox', async (ctx: OrchestrationContext) => {
      const a = await ctx.dequeueEvent<string>('inbox');
      const b = await ctx.dequeueEvent<string>('inbox');
      return `${a}+${b}`;
    });
    await h.client.startOrchestration('inbox-1', 'Inbox');
    await h.client.enqueueEvent('inbox-1', 'inbox', 'first');
    await h.client.enqueueEvent('inbox-1', 'inbox', 'second');
    await h.start();
    const result = await h.client.waitForOrchestration('inbox-1', 5_000);
    expect(result.output).toBe('first+second');
  });

  it('runs sub-orchestrations and returns the child output to the parent', async () => {
    h = await harness();
    h.runtime.registerActivity('Double', async (_ctx, n: number) => n * 2);
    h.runtime.registerOrchestration('Child', async (ctx: OrchestrationContext, n: number) =>
      ctx.scheduleActivity<number>('Double', n),
    );
    h.runtime.registerOrchestration('Parent', async (ctx: OrchestrationContext) => {
      const a = await ctx.scheduleSubOrchestration<number, number>('Child', 1);
      const b = await ctx.scheduleSubOrchestrationWithId<number, number>('Child', 'child-explicit', 5);
      return a + b;
    });
    await h.start();
    await h.client.startOrchestration('parent-1', 'Parent');
    const result = await h.client.waitForOrchestration('parent-1', 5_000);
    expect(result.output).toBe(12);
    const child = await h.client.getStatus('child-explicit');
    expect(child.status).toBe('Completed');
    const tree = await h.client.getInstanceTree('parent-1');
    expect(tree.allIds).toContain('child-explicit');
    expect(tree.size).toBe(3);
  });

  it('continues as new with fresh executions and keeps the final output', async () => {
    h = await harness();
    h.runtime.registerOrchestration('Counter', async (ctx: OrchestrationContext, n: number) => {
      if (n < 3) return ctx.continueAsNew(n + 1);
      return `done at ${n} in execution ${ctx.executionId}`;
    });
    await h.start();
    await h.client.startOrchestration('counter-1', 'Counter', 0);
    const result = await h.client.waitForOrchestration('counter-1', 5_000);
    expect(result.output).toBe('done at 3 in execution 4');
    expect(await h.client.listExecutions('counter-1')).toEqual([1, 2, 3, 4]);
    expect(h.runtime.metricsSnapshot()).toMatchObject({ orchContinueAsNew: 3, orchStarts: 4 });
  });

  it('gives orchestrations deterministic system calls backed by the built-in activities', async () => {
    h = await harness();
    h.runtime.registerOrchestration('Writer', async (ctx: OrchestrationContext) => {
      ctx.setValue('color', 'blue');
      await ctx.waitForEvent('never-mind');
      return null;
    });
    h.runtime.registerOrchestration('Sys', async (ctx: OrchestrationContext) => {
      const now = await ctx.utcNow();
      const guid = await ctx.newGuid();
      const color = await ctx.getValueFromInstance('writer-1', 'color');
      return { nowIsNumber: typeof now === 'number' && now > 0, guidLength: guid.length, color };
    });
    await h.start();
    await h.client.startOrchestration('writer-1', 'Writer');
    expect(await h.client.waitForValue('writer-1', 'color', 5_000)).toBe('blue');
    await h.client.startOrchestration('sys-1', 'Sys');
    const result = await h.client.waitForOrchestration('sys-1', 5_000);
    expect(result.output).toEqual({ nowIsNumber: true, guidLength: 36, color: 'blue' });
  });

  it('treats a second start of an existing instance id as a no-op', async () => {
    h = await harness();
    let runs = 0;
    h.runtime.registerActivity('Once', async () => {
      runs += 1;
      return runs;
    });
    h.runtime.registerOrchestration('Single', async (ctx: OrchestrationContext, tag: string) => {
      const n = await ctx.scheduleActivity<number>('Once');
      return `${tag}:${n}`;
    });
    await h.start();
    await h.client.startOrchestration('single-1', 'Single', 'first');
    const first = await h.client.waitForOrchestration('single-1', 5_000);
    await h.client.startOrchestration('single-1', 'Single', 'second');
    await h.client.raiseEvent('single-1', 'poke');
    await eventually(async () => (await h!.client.getQueueDepths()).orchestratorQueue === 0);
    expect(await h.client.listExecutions('single-1')).toEqual([1]);
    expect((await h.client.getStatus('single-1')).output).toBe(first.output);
    expect(first.output).toBe('first:1');
  });
});
