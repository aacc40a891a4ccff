import type { OrchestrationContext } from '@duroxide/core';
import { SqliteProvider } from '@duroxide/provider-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, type Harness, harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('runtime end to end on SQLite: cancellation, poison, backoff', () => {
  it('cancels an instance and cascades the cancellation to its child', async () => {
    h = await harness();
    h.runtime.registerOrchestration('WaitForever', async (ctx: OrchestrationContext) =>
      ctx.waitForEvent('never'),
    );
    h.runtime.registerOrchestration('Parent', async (ctx: OrchestrationContext) =>
      ctx.scheduleSubOrchestrationWithId('WaitForever', 'cancel-child', null),
    );
    await h.start();
    await h.client.startOrchestration('cancel-parent', 'Parent');
    await eventually(async () => (await h!.client.getStatus('cancel-child')).status === 'Running');
    await h.client.cancelInstance('cancel-parent', 'user asked');
    const parent = await h.client.waitForOrchestration('cancel-parent', 5_000);
    expect(parent.status).toBe('Failed');
    expect(parent.error).toBe('canceled: user asked');
    const child = await h.client.waitForOrchestration('cancel-child', 5_000);
    expect(child.status).toBe('Failed');
    expect(child.error).toMatch(/^canceled: /);
  });

  it('fails an orchestration as poison after maxAttempts when it can never be processed', async () => {
    // Version 9.9.9 is not registered, so every fetch abandons (attempt counted) until the batch is poison.
    h = await harness({ maxAttempts: 2, unregisteredBackoff: { baseDelayMs: 5, maxDelayMs: 10 } });
    h.runtime.registerOrchestration('Known', async () => 'never');
    await h.start();
    await h.client.startOrchestrationVersioned('poison-1', 'Known', null, '9.9.9');
    const result = await h.client.waitForOrchestration('poison-1', 5_000);
    expect(result.status).toBe('Failed');
    expect(result.error).toBe('poison: orchestration poison-1 exceeded 3 attempts (max 2)');
    expect(result.failureDetails?.category).toBe('poison');
    expect(h.runtime.metricsSnapshot().orchPoison).toBe(1);
  });

  it('fails the parent with Poison when an activity is poisoned', async () => {
    h = await harness({ maxAttempts: 1, unregisteredBackoff: { baseDelayMs: 5, maxDelayMs: 10 } });
    h.runtime.registerOrchestration('CallsMissing', async (ctx: OrchestrationContext) =>
      ctx.scheduleActivity('Missing'),
    );
    await h.start();
    await h.client.startOrchestration('act-poison-1', 'CallsMissing');
    const result = await h.client.waitForOrchestration('act-poison-1', 5_000);
    expect(result.status).toBe('Failed');
    expect(result.error).toMatch(/^poison: activity Missing#\d+ exceeded 2 attempts \(max 1\)$/);
    expect(h.runtime.metricsSnapshot().activityPoison).toBe(1);
  });

  it('backs off an unregistered orchestration and runs it once a runtime that has it starts', async () => {
    const provider = await SqliteProvider.inMemory();
    try {
      const first = await harness({ unregisteredBackoff: { baseDelayMs: 20, maxDelayMs: 40 } }, provider);
      await first.start();
      await first.client.startOrchestration('rolling-1', 'NewFlow', 7);
      await eventually(() =>
        first.lines.some((l) => l.level === 'warn' && l.message.includes('not registered here')),
      );
      await first.close();
      expect((await first.client.getStatus('rolling-1')).status).toBe('NotFound');

      const second = await harness({}, provider);
      second.runtime.registerOrchestration('NewFlow', async (_ctx: OrchestrationContext, n: number) => n * 3);
      await second.start();
      const result = await second.client.waitForOrchestration('rolling-1', 5_000);
      expect(result.output).toBe(21);
      await second.close();
    } finally {
      await provider.close();
    }
  });
});

describe('runtime end to end on SQLite: shutdown', () => {
  it('returns at once when idle', async () => {
    h = await harness();
    await h.start();
    const began = performance.now();
    await h.runtime.shutdown(10_000);
    expect(performance.now() - began).toBeLessThan(100);
  });

  it('waits for an in-flight activity and returns as soon as it finishes', async () => {
    h = await harness();
    let started = false;
    h.runtime.registerActivity('Slow', async () => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, 150));
      return 'slow done';
    });
    h.runtime.registerOrchestration('UsesSlow', async (ctx: OrchestrationContext) =>
      ctx.scheduleActivity('Slow'),
    );
    await h.start();
    await h.client.startOrchestration('slow-1', 'UsesSlow');
    await eventually(() => started);
    const began = performance.now();
    await h.runtime.shutdown(10_000);
    const took = performance.now() - began;
    expect(took).toBeLessThan(1_000);
    expect(h.runtime.metricsSnapshot().activitySuccess).toBe(1);
    // The completion was committed before shutdown returned: a new runtime finishes the orchestration.
    const next = await harness({}, h.provider);
    next.runtime.registerOrchestration('UsesSlow', async (ctx: OrchestrationContext) =>
      ctx.scheduleActivity('Slow'),
    );
    await next.start();
    const result = await next.client.waitForOrchestration('slow-1', 5_000);
    expect(result.output).toBe('slow done');
    await next.close();
  });
});
