import type { ExecutionMetadata, Provider } from '@duroxide/core';
import { expect, it } from 'vitest';
import { activityItem, createInstance, emptyAck, event, startedEvent, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { withProvider } from '../harness.js';
import { mustFetchOrch, requireAdmin, TestScope } from '../helpers-b.js';

/** Starts `instance` and acks its first turn with an OrchestrationStarted event and `metadata`. */
async function startAndAck(
  provider: Provider,
  instance: string,
  lockTimeoutMs: number,
  metadata: ExecutionMetadata,
  name = 'TestOrch',
  version = '1.0.0',
): Promise<void> {
  await provider.enqueueForOrchestrator(startItem(instance, { orchestration: name, version }));
  const fetched = await mustFetchOrch(provider, (i) => i === instance, lockTimeoutMs);
  await provider.ackOrchestrationItem(
    fetched.lockToken,
    emptyAck(1, { historyDelta: [startedEvent(instance, 1, 1, name, version)], metadata }),
  );
}

/** duroxide validation group `management` (reference provider-contract §3.2). */
export const managementGroup: ConformanceGroup = (options) => {
  it('test_list_instances', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const admin = requireAdmin(provider);
      const s = new TestScope('mgmt-list');
      const ids = [0, 1, 2].map((i) => s.id(`mgmt-inst-${i}`));
      for (const id of ids) await createInstance(provider, id, lockTimeoutMs);
      const listed = await admin.listInstances();
      expect(listed.length).toBeGreaterThanOrEqual(3);
      for (const id of ids) expect(listed, `lists ${id}`).toContain(id);
    }));

  it('test_list_instances_by_status', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const admin = requireAdmin(provider);
      const s = new TestScope('mgmt-status');
      const done = s.id('mgmt-completed');
      const running = s.id('mgmt-running');
      await startAndAck(provider, done, lockTimeoutMs, {
        status: 'Completed',
        output: 'done',
        orchestrationName: 'TestOrch',
        orchestrationVersion: '1.0.0',
      });
      await createInstance(provider, running, lockTimeoutMs);
      const completed = await admin.listInstancesByStatus('Completed');
      expect(completed).toContain(done);
      expect(completed, 'a Running instance is not listed as Completed').not.toContain(running);
      expect(await admin.listInstancesByStatus('Running')).toContain(running);
    }));

  it('test_list_executions', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const admin = requireAdmin(provider);
      const a = new TestScope('mgmt-execs').id('mgmt-multi-exec');
      await startAndAck(provider, a, lockTimeoutMs, {});
      expect(await admin.listExecutions(a)).toEqual([1]);
    }));

  it('test_get_instance_info', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const admin = requireAdmin(provider);
      const a = new TestScope('mgmt-info').id('mgmt-info');
      await startAndAck(
        provider,
        a,
        lockTimeoutMs,
        { orchestrationName: 'InfoOrch', orchestrationVersion: '2.0.0' },
        'InfoOrch',
        '2.0.0',
      );
      const info = await admin.getInstanceInfo(a);
      expect(info.instanceId).toBe(a);
      expect(info.orchestrationName).toBe('InfoOrch');
      expect(info.orchestrationVersion).toBe('2.0.0');
      expect(info.currentExecutionId).toBe(1);
      expect(info.status, 'status of the current execution').toBe('Running');
      expect(info.parentInstanceId).toBeNull();
    }));

  it('test_get_execution_info', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const admin = requireAdmin(provider);
      const a = new TestScope('mgmt-exec-info').id('mgmt-exec-info');
      await provider.enqueueForOrchestrator(startItem(a));
      const fetched = await mustFetchOrch(provider, (i) => i === a, lockTimeoutMs);
      // The metadata carries a status but no name: the execution row is still written.
      await provider.ackOrchestrationItem(
        fetched.lockToken,
        emptyAck(1, {
          historyDelta: [
            startedEvent(a),
            event(a, 1, 2, { kind: 'OrchestrationCompleted', output: 'result' }),
          ],
          metadata: { status: 'Completed', output: 'result' },
        }),
      );
      const info = await admin.getExecutionInfo(a, 1);
      expect(info.executionId).toBe(1);
      expect(info.status).toBe('Completed');
      expect(info.output).toBe('result');
      expect(info.eventCount).toBe(2);
      expect(info.completedAt, 'completedAt is stamped with the status').not.toBeNull();
    }));

  it('test_get_system_metrics', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const admin = requireAdmin(provider);
      const before = await admin.getSystemMetrics();
      await startAndAck(provider, new TestScope('mgmt-metrics').id('mgmt-metrics'), lockTimeoutMs, {
        orchestrationName: 'TestOrch',
        orchestrationVersion: '1.0.0',
      });
      const after = await admin.getSystemMetrics();
      expect(after.totalInstances, 'total_instances increases').toBeGreaterThan(before.totalInstances);
      expect(after.totalEvents).toBeGreaterThan(0);
      expect(after.runningInstances, 'the new instance is Running').toBeGreaterThan(before.runningInstances);
    }));

  it('test_get_queue_depths', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireAdmin(provider);
      const s = new TestScope('mgmt-queue');
      const before = await admin.getQueueDepths();
      await provider.enqueueForOrchestrator(startItem(s.id('mgmt-queue')));
      const afterOrch = await admin.getQueueDepths();
      expect(afterOrch.orchestratorQueue, 'orchestrator_queue increases').toBeGreaterThan(
        before.orchestratorQueue,
      );
      expect(afterOrch.timerQueue, 'timers live in the orchestrator queue').toBe(0);
      await provider.enqueueForWorker(activityItem(s.id('mgmt-queue'), 1));
      const afterWork = await admin.getQueueDepths();
      expect(afterWork.workerQueue, 'worker_queue increases').toBeGreaterThan(afterOrch.workerQueue);
    }));
};
