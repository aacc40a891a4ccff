import {
  Client,
  type DurableError,
  InstanceNotFoundError,
  type OrchestrationContext,
  TimeoutError,
} from '@duroxide/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, type Harness, harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Client end to end on SQLite', () => {
  it('resolves waitForOrchestration within a few ms of the completing commit', async () => {
    h = await harness();
    let releasedAt = 0;
    h.runtime.registerOrchestration('Gate', async (ctx: OrchestrationContext) => ctx.waitForEvent('go'));
    await h.start();
    await h.client.startOrchestration('gate-1', 'Gate');
    await eventually(async () =>
      (await h!.client.readExecutionHistory('gate-1', 1)).some((e) => e.kind === 'ExternalSubscribed'),
    );
    const waiting = h.client
      .waitForOrchestration('gate-1', 5_000)
      .then((s) => ({ s, at: performance.now() }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    releasedAt = performance.now();
    await h.client.raiseEvent('gate-1', 'go', 'opened');
    const { s, at } = await waiting;
    expect(s.output).toBe('opened');
    // One fetch + turn + ack on SQLite, then the wake-up: far below any polling interval.
    expect(at - releasedAt).toBeLessThan(50);
  });

  it('a wait reads the (growing) history only once the instance is terminal, not on every wake', async () => {
    h = await harness();
    h.runtime.registerActivity('Step', async (_ctx, n: number) => n + 1);
    h.runtime.registerOrchestration('Chain', async (ctx: OrchestrationContext) => {
      let n = 0;
      for (let i = 0; i < 20; i++) n = await ctx.scheduleActivity<number>('Step', n);
      ctx.setCustomStatus(`at ${n}`);
      return n;
    });
    await h.start();
    const store = h.provider;
    const reads: string[] = [];
    // Every provider call goes to the real provider; history reads are counted.
    const counting = new Proxy(store, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (key === 'read')
          return (id: string) => {
            reads.push(id);
            return target.read(id);
          };
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const client = new Client(counting);
    await client.startOrchestration('chain-1', 'Chain');
    const done = await client.waitForOrchestration('chain-1', 10_000);
    expect(done).toMatchObject({ status: 'Completed', output: 20, customStatus: 'at 20' });
    // About 40 commits woke the wait; the history was read once, when the instance had finished.
    expect(reads).toEqual(['chain-1']);
  });

  it('measures hello-world latency from start to observed completion', async () => {
    h = await harness();
    h.runtime.registerActivity('Greet', async (_ctx, name: string) => `Hello, ${name}!`);
    h.runtime.registerOrchestration('Hello', async (ctx: OrchestrationContext, name: string) =>
      ctx.scheduleActivity('Greet', name),
    );
    await h.start();
    const samples: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const began = performance.now();
      await h.client.startOrchestration(`lat-${i}`, 'Hello', 'World');
      await h.client.waitForOrchestration(`lat-${i}`, 5_000);
      samples.push(performance.now() - began);
    }
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)]!;
    console.info(
      `hello-world start→complete on in-memory SQLite: median ${median.toFixed(2)} ms, max ${samples.at(-1)!.toFixed(2)} ms`,
    );
    expect(median).toBeLessThan(100);
  });

  it('rejects waits that time out with TimeoutError', async () => {
    h = await harness();
    h.runtime.registerOrchestration('Stuck', async (ctx: OrchestrationContext) => ctx.waitForEvent('never'));
    await h.start();
    await h.client.startOrchestration('stuck-1', 'Stuck');
    await expect(h.client.waitForOrchestration('stuck-1', 50)).rejects.toBeInstanceOf(TimeoutError);
    await expect(h.client.waitForStatusChange('stuck-1', 0, 10, 50)).rejects.toBeInstanceOf(TimeoutError);
    await expect(h.client.waitForValue('stuck-1', 'k', 50)).rejects.toThrow(
      "waitForValue: timed out waiting for value 'k' on instance 'stuck-1'",
    );
  });

  it('reports bad input clearly and writes nothing', async () => {
    h = await harness();
    const bad = async (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e as DurableError,
      );
    expect((await bad(h.client.startOrchestration('', 'X')))?.code).toBe('INVALID_INPUT');
    expect((await bad(h.client.startOrchestration('x', 'X', { n: 1n })))?.message).toMatch(
      /not JSON-serializable/,
    );
    expect((await bad(h.client.raiseEvent('x', '', 1)))?.message).toMatch(
      /eventName must be a non-empty string/,
    );
    expect((await h.client.getQueueDepths()).orchestratorQueue).toBe(0);
    expect(await h.client.getStatus('nobody')).toEqual({
      status: 'NotFound',
      customStatus: null,
      customStatusVersion: 0,
    });
    await expect(h.client.getInstanceInfo('nobody')).rejects.toBeInstanceOf(InstanceNotFoundError);
    await expect(h.client.deleteInstance('nobody')).rejects.toBeInstanceOf(InstanceNotFoundError);
  });

  it('offers the management methods with camelCase results', async () => {
    h = await harness();
    h.runtime.registerActivity('Echo', async (_ctx, v: unknown) => v);
    h.runtime.registerOrchestration('Child', async (ctx: OrchestrationContext) =>
      ctx.scheduleActivity('Echo', 'c'),
    );
    h.runtime.registerOrchestration('Root', async (ctx: OrchestrationContext, n: number) => {
      ctx.setValue('k', 'v');
      await ctx.scheduleSubOrchestrationWithId('Child', 'mgmt-child', null);
      return { n };
    });
    h.runtime.registerOrchestration('Hang', async (ctx: OrchestrationContext) => ctx.waitForEvent('never'));
    await h.start();
    await h.client.startOrchestration('mgmt-root', 'Root', 1);
    await h.client.startOrchestration('mgmt-hang', 'Hang');
    await h.client.waitForOrchestration('mgmt-root', 5_000);

    const info = await h.client.getInstanceInfo('mgmt-root');
    expect(info).toMatchObject({
      instanceId: 'mgmt-root',
      orchestrationName: 'Root',
      orchestrationVersion: '1.0.0',
      currentExecutionId: 1,
      status: 'Completed',
      output: { n: 1 },
      parentInstanceId: null,
    });
    expect(await h.client.getExecutionInfo('mgmt-root', 1)).toMatchObject({
      executionId: 1,
      status: 'Completed',
      output: { n: 1 },
    });
    expect((await h.client.getInstanceInfo('mgmt-child')).parentInstanceId).toBe('mgmt-root');
    expect(await h.client.listAllInstances()).toEqual(
      expect.arrayContaining(['mgmt-root', 'mgmt-child', 'mgmt-hang']),
    );
    expect(await h.client.listInstancesByStatus('Completed')).toEqual(
      expect.arrayContaining(['mgmt-root', 'mgmt-child']),
    );
    const history = await h.client.readExecutionHistory('mgmt-root', 1);
    expect(history[0]).toMatchObject({ eventId: 1, kind: 'OrchestrationStarted', name: 'Root', input: '1' });
    expect(history.map((e) => e.kind)).toContain('SubOrchestrationScheduled');
    expect(history.at(-1)).toMatchObject({ kind: 'OrchestrationCompleted', output: '{"n":1}' });
    expect(await h.client.getKvAllValues('mgmt-root')).toEqual({ k: 'v' });
    expect(await h.client.getValue('mgmt-root', 'k')).toBe('v');
    expect(await h.client.getOrchestrationStats('mgmt-root')).toMatchObject({
      historyEventCount: history.length,
      kvUserKeyCount: 1,
    });
    expect(await h.client.getSystemMetrics()).toMatchObject({
      totalInstances: 3,
      completedInstances: 2,
      runningInstances: 1,
    });
    expect(await h.client.getQueueDepths()).toMatchObject({ workerQueue: 0 });

    await expect(h.client.deleteInstance('mgmt-child')).rejects.toMatchObject({
      code: 'CANNOT_DELETE_SUB_ORCHESTRATION',
    });
    await expect(h.client.deleteInstance('mgmt-hang')).rejects.toMatchObject({
      code: 'INSTANCE_STILL_RUNNING',
    });
    const deleted = await h.client.deleteInstance('mgmt-root');
    expect(deleted.instancesDeleted).toBe(2);
    expect((await h.client.getStatus('mgmt-child')).status).toBe('NotFound');
    expect((await h.client.deleteInstance('mgmt-hang', true)).instancesDeleted).toBe(1);
  });
});
