import type { ProviderAdmin } from '@duroxide/core';
import { expect, it } from 'vitest';
import { activityItem, createInstance, emptyAck, event, startedEvent, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { uniqueId, withProvider } from '../harness.js';
import {
  activityCompleted,
  createTerminalInstance,
  expectPermanent,
  expectRejection,
  externalRaised,
  LONG_LOCK_MS,
  mustFetchOrchestration,
  mustFetchWork,
  requireManagement,
} from '../helpers-a.js';

/** Fails unless every id is gone (`getInstanceInfo` rejects). */
async function expectGone(admin: ProviderAdmin, ids: string[]): Promise<void> {
  for (const id of ids) await expect(admin.getInstanceInfo(id), `${id} should be deleted`).rejects.toThrow();
}

/** Fails unless every id still exists. */
async function expectPresent(admin: ProviderAdmin, ids: string[]): Promise<void> {
  for (const id of ids) expect((await admin.getInstanceInfo(id)).instanceId).toBe(id);
}

/** duroxide validation group `deletion` (reference provider-contract §3.2): deletes, cascades, hierarchy reads. */
export const deletionGroup: ConformanceGroup = (options) => {
  it('test_delete_terminal_instances', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const completed = uniqueId('delete-term-completed');
      const failed = uniqueId('delete-term-failed');
      const cancelled = uniqueId('delete-term-cancelled');
      await createTerminalInstance(provider, completed);
      await createTerminalInstance(provider, failed, {
        status: 'Failed',
        output: 'error: something went wrong',
      });
      // A cancelled instance is stored as Failed with a cancellation message.
      await createTerminalInstance(provider, cancelled, {
        status: 'Failed',
        output: 'canceled: user requested cancellation',
      });
      await expectPresent(admin, [completed, failed, cancelled]);

      const result = await admin.deleteInstance(completed, false);
      expect(result.instancesDeleted).toBeGreaterThanOrEqual(1);
      expect(result.executionsDeleted).toBeGreaterThanOrEqual(1);
      expect(result.eventsDeleted).toBeGreaterThanOrEqual(1);
      await expectGone(admin, [completed]);
      await expectPresent(admin, [failed, cancelled]);

      expect((await admin.deleteInstance(failed, false)).instancesDeleted).toBeGreaterThanOrEqual(1);
      await expectGone(admin, [failed]);
      expect((await admin.deleteInstance(cancelled, false)).instancesDeleted).toBeGreaterThanOrEqual(1);
      await expectGone(admin, [cancelled]);
      expect(await provider.read(completed), 'history is deleted too').toEqual([]);
    }));

  it('test_delete_running_rejected_force_succeeds', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const instance = uniqueId('delete-running-force');
      await createInstance(provider, instance, LONG_LOCK_MS);
      const error = await expectRejection(
        admin.deleteInstance(instance, false),
        'deleting a running instance',
      );
      expectPermanent(error, 'deleting a running instance');
      expect(error.message.toLowerCase()).toContain('running');
      await expectPresent(admin, [instance]);

      expect((await admin.deleteInstance(instance, true)).instancesDeleted).toBeGreaterThanOrEqual(1);
      await expectGone(admin, [instance]);
    }));

  it('test_delete_nonexistent_instance', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const error = await expectRejection(
        admin.deleteInstance(uniqueId('does-not-exist'), false),
        'deleting an unknown instance',
      );
      expectPermanent(error, 'deleting an unknown instance');
      expect(error.message.toLowerCase()).toContain('not found');
    }));

  it('test_delete_cleans_queues_and_locks', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const instance = uniqueId('delete-queues-locks');
      await provider.enqueueForOrchestrator(startItem(instance));
      await provider.enqueueForWorker(activityItem(instance, 1));
      const turn = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      await provider.ackOrchestrationItem(
        turn.lockToken,
        emptyAck(1, {
          historyDelta: [startedEvent(instance)],
          metadata: { status: 'Completed', orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' },
        }),
      );

      const result = await admin.deleteInstance(instance, false);
      expect(result.queueMessagesDeleted, 'the queued activity is deleted').toBeGreaterThanOrEqual(1);
      expect((await admin.getQueueDepths()).workerQueue).toBe(0);

      // The same id starts over as a new instance with new metadata.
      const input = '{"reused": true}';
      await provider.enqueueForOrchestrator(
        startItem(instance, { orchestration: 'ReusedOrch', version: '2.0.0', input }),
      );
      const reused = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(reused.item.orchestrationName).toBe('ReusedOrch');
      expect(reused.item.history, 'no stale history').toEqual([]);
      await provider.ackOrchestrationItem(
        reused.lockToken,
        emptyAck(1, {
          historyDelta: [
            event(instance, 1, 1, {
              kind: 'OrchestrationStarted',
              name: 'ReusedOrch',
              version: '2.0.0',
              input,
            }),
          ],
          metadata: { orchestrationName: 'ReusedOrch', orchestrationVersion: '2.0.0' },
        }),
      );
      const info = await admin.getInstanceInfo(instance);
      expect(info.orchestrationName).toBe('ReusedOrch');
      expect(info.orchestrationVersion).toBe('2.0.0');
      expect(info.status, 'fresh execution, not the deleted Completed one').toBe('Running');
      await admin.deleteInstance(instance, true);
    }));

  it('test_cascade_delete_hierarchy', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const root = uniqueId('cascade-root');
      const child1 = `${root}::child1`;
      const child2 = `${root}::child2`;
      const grandchild = `${child1}::grandchild`;
      await createTerminalInstance(provider, root);
      await createTerminalInstance(provider, child1, { parent: root });
      await createTerminalInstance(provider, child2, { parent: root });
      await createTerminalInstance(provider, grandchild, { parent: child1 });
      await expectPresent(admin, [root, child1, child2, grandchild]);

      const error = await expectRejection(
        admin.deleteInstance(child1, false),
        'deleting a sub-orchestration',
      );
      expect(error.message.toLowerCase()).toMatch(/sub-orchestration|root|parent/);
      await expectRejection(admin.deleteInstance(child1, true), 'force-deleting a sub-orchestration');
      await expectRejection(admin.deleteInstance(grandchild, false), 'deleting a nested sub-orchestration');
      await expectPresent(admin, [root, child1, child2, grandchild]);

      const result = await admin.deleteInstance(root, false);
      expect(result.instancesDeleted).toBeGreaterThanOrEqual(1);
      expect(result.executionsDeleted, 'counts cover all four instances').toBeGreaterThanOrEqual(4);
      await expectGone(admin, [root, child1, child2, grandchild]);
    }));

  it('test_force_delete_prevents_ack_recreation', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const instance = uniqueId('zombie-prevention');
      await createInstance(provider, instance, LONG_LOCK_MS);
      await provider.enqueueForOrchestrator(externalRaised(instance, 'test-event'));
      const turn = await mustFetchOrchestration(provider, LONG_LOCK_MS);

      expect((await admin.deleteInstance(instance, true)).instancesDeleted).toBeGreaterThanOrEqual(1);
      await expectRejection(
        provider.ackOrchestrationItem(
          turn.lockToken,
          emptyAck(1, {
            historyDelta: [event(instance, 1, 2, { kind: 'ExternalEvent', name: 'test-event', data: '{}' })],
          }),
        ),
        'ack of a turn whose instance was force-deleted',
      );
      await expectGone(admin, [instance]);
      expect(await provider.read(instance), 'no zombie history').toEqual([]);
    }));

  it('test_list_children', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const root = uniqueId('list-children-root');
      const child1 = `${root}::sub::2`;
      const child2 = `${root}::sub::3`;
      const grandchild = `${child2}::sub::4`;
      await createTerminalInstance(provider, root);
      await createTerminalInstance(provider, child1, { parent: root, name: 'ChildOrch' });
      await createTerminalInstance(provider, child2, { parent: root, name: 'ChildOrch' });
      await createTerminalInstance(provider, grandchild, { parent: child2, name: 'ChildOrch' });

      expect((await admin.listChildren(root)).sort()).toEqual([child1, child2].sort());
      expect(await admin.listChildren(child2)).toEqual([grandchild]);
      expect(await admin.listChildren(grandchild), 'a leaf has no children').toEqual([]);
      expect(await admin.listChildren(uniqueId('non-existent')), 'unknown ⇒ empty, not an error').toEqual([]);
      await admin.deleteInstance(root, true);
    }));

  it('test_delete_get_parent_id', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const root = uniqueId('parent-id-root');
      const child = `${root}::sub::2`;
      await createTerminalInstance(provider, root);
      await createTerminalInstance(provider, child, { parent: root, name: 'ChildOrch' });
      expect(await admin.getParentId(root)).toBeNull();
      expect(await admin.getParentId(child)).toBe(root);
      await expectRejection(
        admin.getParentId(uniqueId('non-existent')),
        'getParentId of an unknown instance',
      );
      await admin.deleteInstance(root, true);
    }));

  it('test_delete_get_instance_tree', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const root = uniqueId('tree-root');
      const child1 = `${root}::sub::2`;
      const child2 = `${root}::sub::3`;
      const grandchild = `${child2}::sub::4`;
      await createTerminalInstance(provider, root);
      await createTerminalInstance(provider, child1, { parent: root, name: 'ChildOrch' });
      await createTerminalInstance(provider, child2, { parent: root, name: 'ChildOrch' });
      await createTerminalInstance(provider, grandchild, { parent: child2, name: 'ChildOrch' });

      const tree = await admin.getInstanceTree(root);
      expect(tree.rootId).toBe(root);
      expect(tree.size).toBe(4);
      expect([...tree.allIds].sort()).toEqual([root, child1, child2, grandchild].sort());

      const leaf = await admin.getInstanceTree(grandchild);
      expect(leaf.size, 'a leaf tree is root-only').toBe(1);
      expect(leaf.rootId).toBe(grandchild);
      expect(leaf.allIds).toEqual([grandchild]);
      await admin.deleteInstance(root, true);
    }));

  it('test_delete_instances_atomic', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const ids = [1, 2, 3].map((i) => uniqueId(`atomic-del-${i}`));
      for (const id of ids) await createTerminalInstance(provider, id);
      await expectPresent(admin, ids);
      const result = await admin.deleteInstancesAtomic(ids, false);
      expect(result.instancesDeleted).toBeGreaterThanOrEqual(1);
      expect(result.executionsDeleted).toBeGreaterThanOrEqual(3);
      await expectGone(admin, ids);
      expect(await admin.deleteInstancesAtomic([], false), 'an empty list deletes nothing').toEqual({
        instancesDeleted: 0,
        executionsDeleted: 0,
        eventsDeleted: 0,
        queueMessagesDeleted: 0,
      });
    }));

  it('test_delete_instances_atomic_force', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const completed = uniqueId('atomic-force-completed');
      const running = uniqueId('atomic-force-running');
      await createTerminalInstance(provider, completed);
      await createInstance(provider, running, LONG_LOCK_MS);
      const ids = [completed, running];

      await expectRejection(
        admin.deleteInstancesAtomic(ids, false),
        'atomic delete including a running instance',
      );
      await expectPresent(admin, ids);
      expect((await admin.deleteInstancesAtomic(ids, true)).instancesDeleted).toBeGreaterThanOrEqual(1);
      await expectGone(admin, ids);
    }));

  it('test_delete_instances_atomic_orphan_detection', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const root = uniqueId('orphan-detect-root');
      const child = `${root}::sub::2`;
      await createTerminalInstance(provider, root);
      await createTerminalInstance(provider, child, { parent: root, name: 'ChildOrch' });
      await expectPresent(admin, [root, child]);

      const error = await expectRejection(
        admin.deleteInstancesAtomic([root], false),
        'atomic delete that would orphan a child',
      );
      expect(error.message.toLowerCase()).toMatch(/child|orphan|tree/);
      await expectPresent(admin, [root, child]);

      await admin.deleteInstancesAtomic([root, child], false);
      await expectGone(admin, [root, child]);
    }));

  it('test_stale_activity_after_delete_recreate', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const instance = uniqueId('stale-activity-recreate');
      await provider.enqueueForOrchestrator(startItem(instance));
      const turn = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      await provider.ackOrchestrationItem(
        turn.lockToken,
        emptyAck(1, {
          historyDelta: [
            startedEvent(instance),
            event(instance, 1, 2, { kind: 'ActivityScheduled', name: 'OldActivity', input: 'old-input' }, 2),
          ],
          workerItems: [activityItem(instance, 2, { name: 'OldActivity', input: 'old-input' })],
          metadata: { orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' },
        }),
      );
      const oldWork = await mustFetchWork(provider);

      expect((await admin.deleteInstance(instance, true)).instancesDeleted).toBeGreaterThanOrEqual(1);
      await expectGone(admin, [instance]);
      await createInstance(provider, instance, LONG_LOCK_MS);
      expect((await admin.getInstanceInfo(instance)).orchestrationName).toBe('TestOrch');

      await expectRejection(
        provider.ackWorkItem(
          oldWork.lockToken,
          activityCompleted(instance, 2, 'stale-result-from-old-instance'),
        ),
        'ack of an activity whose instance was deleted and recreated',
      );
      await provider.enqueueForOrchestrator(externalRaised(instance, 'probe-event'));
      const probe = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(probe.item.instance).toBe(instance);
      expect(
        probe.item.messages.some((m) => m.kind === 'ActivityCompleted'),
        `the recreated instance must not see the stale completion: ${JSON.stringify(probe.item.messages)}`,
      ).toBe(false);
      await provider.ackOrchestrationItem(
        probe.lockToken,
        emptyAck(1, { metadata: { status: 'Completed' } }),
      );
      await admin.deleteInstance(instance, true);
    }));
};
