import { InstanceNotFoundError, type Runtime } from '@duroxide/core';
import { expect } from 'vitest';
import { type Scenario, scenarioIt, waitUntil } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** Orchestrations the management scenarios share. */
function registerFlows(rt: Runtime): void {
  rt.registerActivity('Echo', async (_ctx, x: unknown) => x);
  rt.registerOrchestration('Loop', async (ctx, n: number) => {
    ctx.setValue('gen', String(n));
    await ctx.scheduleActivity('Echo', n);
    if (n < 3) return ctx.continueAsNew(n + 1);
    return `looped ${n}`;
  });
  rt.registerOrchestration('Fail', async () => {
    throw new Error('boom');
  });
  rt.registerOrchestration('Hold', async (ctx) => {
    ctx.setValue('held', 'yes');
    return ctx.waitForEvent('release');
  });
  rt.registerOrchestration('Leaf', async (ctx) => ctx.waitForEvent('release'));
  rt.registerOrchestration('Mid', async (ctx) =>
    ctx.scheduleSubOrchestration('Leaf', null, { instanceId: `${ctx.instanceId}-leaf` }),
  );
  rt.registerOrchestration('Root', async (ctx) => {
    const r = await ctx.all([
      ctx.scheduleSubOrchestration('Mid', null, { instanceId: `${ctx.instanceId}-mid` }),
      ctx.scheduleSubOrchestration('Leaf', null, { instanceId: `${ctx.instanceId}-leaf2` }),
    ]);
    return r.length;
  });
}

/** Asserts an instance is completely gone: no history, no info, no KV, no executions. */
async function expectGone(s: Scenario, id: string): Promise<void> {
  expect(await s.client.readExecutionHistory(id, 1)).toEqual([]);
  expect(await s.client.listExecutions(id)).toEqual([]);
  expect(await s.client.getKvAllValues(id)).toEqual({});
  expect((await s.client.getStatus(id)).status).toBe('NotFound');
  await expect(s.client.getInstanceInfo(id)).rejects.toBeInstanceOf(InstanceNotFoundError);
  expect(await s.client.listAllInstances()).not.toContain(id);
}

/** Checklist 78 and 79: the management API and the status API over real orchestrations. */
export function managementScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[78] listings, instance and execution info, full history and system metrics', async (s) => {
    await s.startRuntime(registerFlows);
    expect(s.client.hasManagementCapability()).toBe(true);
    const [loop, fail, hold] = [s.id('m-loop'), s.id('m-fail'), s.id('m-hold')];
    expect((await s.run(loop, 'Loop', 1)).output).toBe('looped 3');
    expect((await s.run(fail, 'Fail')).status).toBe('Failed');
    await s.client.startOrchestration(hold, 'Hold');
    await s.waitForSubscription(hold, 'release');

    expect(await s.client.listAllInstances()).toEqual(expect.arrayContaining([loop, fail, hold]));
    expect(await s.client.listInstancesByStatus('Completed')).toEqual([loop]);
    expect(await s.client.listInstancesByStatus('Failed')).toEqual([fail]);
    expect(await s.client.listInstancesByStatus('Running')).toEqual([hold]);

    const info = await s.client.getInstanceInfo(loop);
    expect(info).toMatchObject({
      instanceId: loop,
      orchestrationName: 'Loop',
      orchestrationVersion: '1.0.0',
      currentExecutionId: 3,
      status: 'Completed',
      output: 'looped 3',
      parentInstanceId: null,
    });
    expect(await s.client.listExecutions(loop)).toEqual([1, 2, 3]);
    const first = await s.client.getExecutionInfo(loop, 1);
    const history1 = await s.history(loop, 1);
    expect(first).toMatchObject({ executionId: 1, status: 'ContinuedAsNew', eventCount: history1.length });
    expect(history1.map((e) => e.kind)).toEqual([
      'OrchestrationStarted',
      'KeyValueSet',
      'ActivityScheduled',
      'ActivityCompleted',
      'OrchestrationContinuedAsNew',
    ]);
    const scheduled = history1.find((e) => e.kind === 'ActivityScheduled')!;
    expect(scheduled).toMatchObject({ name: 'Echo', input: '1', executionId: 1 });
    const completed = history1.find((e) => e.kind === 'ActivityCompleted')!;
    expect(completed).toMatchObject({ sourceEventId: scheduled.eventId, result: '1' });
    expect(typeof completed.timestampMs).toBe('number');

    const metrics = await s.client.getSystemMetrics();
    expect(metrics).toMatchObject({
      totalInstances: 3,
      totalExecutions: 5,
      runningInstances: 1,
      completedInstances: 1,
      failedInstances: 1,
    });
    const totalEvents = (
      await Promise.all(
        [
          [loop, 1],
          [loop, 2],
          [loop, 3],
          [fail, 1],
          [hold, 1],
        ].map(async ([id, e]) => (await s.history(id as string, e as number)).length),
      )
    ).reduce((a, b) => a + b, 0);
    expect(metrics.totalEvents).toBe(totalEvents);
    await s.client.raiseEvent(hold, 'release', 'done');
    expect(await s.completed(hold)).toBe('done');
  });

  test('[78] instance trees; deleting a child is refused, a running root needs force; cascade removes everything', async (s) => {
    const rt = await s.startRuntime(registerFlows);
    const root = s.id('m-root');
    await s.client.startOrchestration(root, 'Root');
    await s.waitForSubscription(`${root}-mid-leaf`, 'release');
    await s.waitForSubscription(`${root}-leaf2`, 'release');
    const tree = await s.client.getInstanceTree(root);
    expect(tree.rootId).toBe(root);
    expect([...tree.allIds].sort()).toEqual(
      [root, `${root}-leaf2`, `${root}-mid`, `${root}-mid-leaf`].sort(),
    );
    expect((await s.client.getInstanceInfo(`${root}-mid`)).parentInstanceId).toBe(root);

    await expect(s.client.deleteInstance(`${root}-mid`)).rejects.toMatchObject({
      code: 'CANNOT_DELETE_SUB_ORCHESTRATION',
    });
    await expect(s.client.deleteInstance(root)).rejects.toMatchObject({ code: 'INSTANCE_STILL_RUNNING' });
    await expect(s.client.deleteInstance(s.id('never-existed'))).rejects.toBeInstanceOf(
      InstanceNotFoundError,
    );

    // Stop the runtime so queued messages stay queued: delete must remove them too.
    await s.stopRuntime(rt);
    await s.client.raiseEvent(`${root}-leaf2`, 'release', 'late');
    expect((await s.client.getQueueDepths()).orchestratorQueue).toBe(1);
    const result = await s.client.deleteInstance(root, true);
    expect(result.instancesDeleted).toBe(4);
    expect(result.queueMessagesDeleted).toBeGreaterThanOrEqual(1);
    for (const id of tree.allIds) await expectGone(s, id);
    expect(await s.client.getQueueDepths()).toMatchObject({ orchestratorQueue: 0, workerQueue: 0 });

    // The id is free again: a new instance starts from execution 1.
    await s.startRuntime(registerFlows);
    await s.client.startOrchestration(root, 'Loop', 3);
    expect(await s.completed(root)).toBe('looped 3');
    expect(await s.client.listExecutions(root)).toEqual([1]);
  });

  test('[78] a deleted instance stays deleted when its in-flight activity finishes later', async (s) => {
    const release = s.gate();
    await s.startRuntime((rt) => {
      rt.registerActivity('Slow', async () => {
        await release.promise;
        return 'late result';
      });
      rt.registerOrchestration('Busy', async (ctx) => {
        ctx.setValue('k', 'v');
        return ctx.scheduleActivity('Slow');
      });
      // Both runtimes share the store: without Probe here, this one could back off on it until it is poisoned.
      rt.registerOrchestration('Probe', async () => 'ok');
    });
    const id = s.id('m-busy');
    await s.client.startOrchestration(id, 'Busy');
    await s.waitForKind(id, 'ActivityScheduled');
    await s.client.deleteInstance(id, true);
    release.open();
    const probe = s.id('probe');
    await s.startRuntime((rt) => rt.registerOrchestration('Probe', async () => 'ok'));
    // Handshake: another instance completes after the stale ack had its chance.
    expect((await s.run(probe, 'Probe')).output).toBe('ok');
    await expectGone(s, id);
  });

  test('[78] bulk delete: filters AND together, limits apply, running roots are skipped', async (s) => {
    await s.startRuntime(registerFlows);
    const done = [s.id('b1'), s.id('b2'), s.id('b3')];
    for (const id of done) await s.run(id, 'Loop', 3);
    const running = s.id('b-running');
    await s.client.startOrchestration(running, 'Hold');
    await s.waitForSubscription(running, 'release');

    const none = await s.client.deleteInstanceBulk({ instanceIds: done, completedBefore: 1 });
    expect(none.instancesDeleted).toBe(0);
    const limited = await s.client.deleteInstanceBulk({ instanceIds: [...done, running], limit: 2 });
    expect(limited.instancesDeleted).toBe(2);
    const rest = await s.client.deleteInstanceBulk({ instanceIds: [...done, running] });
    expect(rest.instancesDeleted).toBe(1);
    for (const id of done) await expectGone(s, id);
    expect((await s.client.getStatus(running)).status).toBe('Running');
    expect(await s.client.getValue(running, 'held')).toBe('yes');
  });

  test('[78] prune keeps the current execution (also while running) and never touches KV', async (s) => {
    await s.startRuntime((rt) => {
      registerFlows(rt);
      rt.registerOrchestration('Eternal', async (ctx, n: number) => {
        ctx.setValue(`gen${n}`, 'x');
        if (n < 4) return ctx.continueAsNew(n + 1);
        return ctx.waitForEvent('stop');
      });
    });
    const eternal = s.id('p-eternal');
    await s.client.startOrchestration(eternal, 'Eternal', 1);
    await s.waitForSubscription(eternal, 'stop', 1, 4);
    const pruned = await s.client.pruneExecutions(eternal, { keepLast: 2 });
    expect(pruned).toMatchObject({ instancesProcessed: 1, executionsDeleted: 2 });
    expect(await s.client.listExecutions(eternal)).toEqual([3, 4]);
    expect(Object.keys(await s.client.getKvAllValues(eternal)).sort()).toEqual([
      'gen1',
      'gen2',
      'gen3',
      'gen4',
    ]);
    // keepLast 0 still never deletes the current (running) execution.
    await s.client.pruneExecutions(eternal, {});
    expect(await s.client.listExecutions(eternal)).toEqual([4]);
    expect((await s.client.getStatus(eternal)).status).toBe('Running');

    const loops = [s.id('p-loop'), s.id('p-loop')];
    for (const id of loops) await s.run(id, 'Loop', 1);
    const bulk = await s.client.pruneExecutionsBulk({ instanceIds: loops }, { keepLast: 1 });
    expect(bulk).toMatchObject({ instancesProcessed: 2, executionsDeleted: 4 });
    for (const id of loops) expect(await s.client.listExecutions(id)).toEqual([3]);
    await s.client.raiseEvent(eternal, 'stop', 'bye');
    expect(await s.completed(eternal)).toBe('bye');
  });

  test('[78] queue depths and per-instance stats (history, pending messages, KV usage)', async (s) => {
    const rt = await s.startRuntime(registerFlows);
    const id = s.id('stats');
    await s.client.startOrchestration(id, 'Hold');
    await s.waitForSubscription(id, 'release');
    await s.stopRuntime(rt);
    await s.client.raiseEvent(id, 'release', 'now');
    await s.client.enqueueEvent(id, 'inbox', 'm');
    const depth = async () => (await s.client.getQueueDepths()).orchestratorQueue;
    await waitUntil(async () => ((await depth()) === 2 ? true : undefined), 'two queued messages');
    const stats = await s.client.getOrchestrationStats(id);
    expect(stats).toMatchObject({
      historyEventCount: (await s.history(id)).length,
      queuePendingCount: 2,
      kvUserKeyCount: 1,
    });
    expect(stats!.historySizeBytes).toBeGreaterThan(0);
    expect(stats!.kvTotalValueBytes).toBeGreaterThanOrEqual(3);
    expect(await s.client.getOrchestrationStats(s.id('unknown'))).toBeNull();
    await s.startRuntime(registerFlows);
    expect(await s.completed(id)).toBe('now');
    expect((await s.client.getQueueDepths()).orchestratorQueue).toBe(0);
  });

  test('[79] status: NotFound, Running, Completed, Failed, Running across continue-as-new, cancelled', async (s) => {
    await s.startRuntime((rt) => {
      registerFlows(rt);
      rt.registerOrchestration('Gen', async (ctx, n: number) => {
        await ctx.waitForEvent('next');
        if (n < 2) return ctx.continueAsNew(n + 1);
        return n;
      });
    });
    const id = s.id('status');
    expect((await s.client.getStatus(id)).status).toBe('NotFound');
    await s.client.startOrchestration(id, 'Gen', 1);
    await s.waitForSubscription(id, 'next');
    expect((await s.client.getStatus(id)).status).toBe('Running');
    await s.client.raiseEvent(id, 'next');
    await s.waitForSubscription(id, 'next', 1, 2);
    expect(await s.client.getStatus(id)).toMatchObject({ status: 'Running' });
    await s.client.raiseEvent(id, 'next');
    expect(await s.client.waitForOrchestration(id, 5_000)).toMatchObject({ status: 'Completed', output: 2 });

    const failed = s.id('status-failed');
    expect(await s.run(failed, 'Fail')).toMatchObject({ status: 'Failed', error: 'boom' });
    const cancelled = s.id('status-cancelled');
    await s.client.startOrchestration(cancelled, 'Hold');
    await s.waitForSubscription(cancelled, 'release');
    await s.client.cancelInstance(cancelled, 'operator');
    const status = await s.client.waitForOrchestration(cancelled, 5_000);
    expect(status.status).toBe('Failed');
    expect(status.error).toMatch(/^canceled: operator/);
  });
}
