import { expect, it } from 'vitest';
import { emptyAck, event, startedEvent, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { uniqueId, withProvider } from '../harness.js';
import { LONG_LOCK_MS, mustFetchOrchestration } from '../helpers-a.js';

/**
 * duroxide validation group `instance_creation` (reference provider-contract §3.2): instances are created
 * by the first ack's metadata, never by enqueue, and fetch works before the instance row exists.
 */
export const instanceCreationGroup: ConformanceGroup = (options) => {
  it('test_instance_creation_via_metadata', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('creation-metadata');
      await provider.enqueueForOrchestrator(startItem(instance));
      const first = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(first.item.instance).toBe(instance);
      expect(first.item.orchestrationName).toBe('TestOrch');
      expect(first.item.executionId).toBe(1);
      expect(first.item.history).toEqual([]);
      // Before the first ack the version comes from the start item or is reported as "unknown".
      expect(['1.0.0', 'unknown']).toContain(first.item.version);

      await provider.ackOrchestrationItem(
        first.lockToken,
        emptyAck(1, {
          historyDelta: [startedEvent(instance, 1, 1, 'TestOrch', '2.0.0')],
          metadata: { orchestrationName: 'TestOrch', orchestrationVersion: '2.0.0' },
        }),
      );

      await provider.enqueueForOrchestrator(startItem(instance));
      const second = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(second.item.instance).toBe(instance);
      expect(second.item.orchestrationName).toBe('TestOrch');
      expect(second.item.version, 'version comes from the ack metadata, not the work item').toBe('2.0.0');
      expect(second.item.executionId).toBe(1);
      expect(second.item.history).toHaveLength(1);
      await provider.ackOrchestrationItem(second.lockToken, emptyAck());
    }));

  it('test_no_instance_creation_on_enqueue', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('creation-enqueue');
      await provider.enqueueForOrchestrator(startItem(instance));
      const admin = provider.asManagementCapability();
      if (admin) {
        await expect(
          admin.getInstanceInfo(instance),
          'enqueue must not create the instance',
        ).rejects.toThrow();
      }
      expect(await provider.read(instance)).toEqual([]);

      const fetched = await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0);
      expect(fetched, 'fetch works although the instance does not exist yet').not.toBeNull();
      expect(fetched?.item.instance).toBe(instance);
      await provider.ackOrchestrationItem(
        fetched!.lockToken,
        emptyAck(1, {
          historyDelta: [startedEvent(instance)],
          metadata: { orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' },
        }),
      );
      if (admin) expect((await admin.getInstanceInfo(instance)).orchestrationName).toBe('TestOrch');
    }));

  it('test_null_version_handling', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('creation-null-version');
      await provider.enqueueForOrchestrator(startItem(instance, { version: undefined }));
      const first = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(first.item.instance).toBe(instance);
      expect(first.item.version, 'an absent version is reported as "unknown"').toBe('unknown');

      await provider.ackOrchestrationItem(
        first.lockToken,
        emptyAck(1, {
          historyDelta: [startedEvent(instance, 1, 1, 'TestOrch', '3.0.0')],
          metadata: { orchestrationName: 'TestOrch', orchestrationVersion: '3.0.0' },
        }),
      );

      await provider.enqueueForOrchestrator(startItem(instance));
      const second = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(second.item.version).toBe('3.0.0');
      await provider.ackOrchestrationItem(second.lockToken, emptyAck());
    }));

  it('test_sub_orchestration_instance_creation', () =>
    withProvider(options, async ({ provider }) => {
      const parent = uniqueId('creation-parent');
      const child = `${parent}::child-instance`;
      await provider.enqueueForOrchestrator(startItem(parent, { orchestration: 'ParentOrch' }));
      const parentTurn = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      await provider.ackOrchestrationItem(
        parentTurn.lockToken,
        emptyAck(1, {
          historyDelta: [startedEvent(parent, 1, 1, 'ParentOrch', '1.0.0')],
          orchestratorItems: [
            startItem(child, {
              orchestration: 'ChildOrch',
              version: undefined,
              parentInstance: parent,
              parentId: 1,
            }),
          ],
          metadata: { orchestrationName: 'ParentOrch', orchestrationVersion: '1.0.0' },
        }),
      );

      const childTurn = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(childTurn.item.instance).toBe(child);
      expect(childTurn.item.orchestrationName).toBe('ChildOrch');
      expect(childTurn.item.history).toEqual([]);
      await provider.ackOrchestrationItem(
        childTurn.lockToken,
        emptyAck(1, {
          historyDelta: [
            event(child, 1, 1, {
              kind: 'OrchestrationStarted',
              name: 'ChildOrch',
              version: '1.5.0',
              input: '{}',
              parentInstance: parent,
              parentId: 1,
            }),
          ],
          metadata: { orchestrationName: 'ChildOrch', orchestrationVersion: '1.5.0' },
        }),
      );

      await provider.enqueueForOrchestrator(
        startItem(child, { orchestration: 'ChildOrch', version: undefined }),
      );
      const again = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(again.item.instance).toBe(child);
      expect(again.item.version, "the child's version comes from its own metadata").toBe('1.5.0');
      expect(again.item.orchestrationName).toBe('ChildOrch');
      await provider.ackOrchestrationItem(again.lockToken, emptyAck());
    }));
};
