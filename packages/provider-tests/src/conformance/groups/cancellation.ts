import type {
  ActivityExecuteItem,
  Event,
  ExecutionMetadata,
  Provider,
  ScheduledActivityIdentifier,
} from '@duroxide/core';
import { orchestrationFailure } from '@duroxide/core';
import { expect, it } from 'vitest';
import { activityItem, emptyAck, event, startedEvent, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { uniqueId, withProvider } from '../harness.js';
import {
  activityCompleted,
  expectPermanent,
  expectRejection,
  externalRaised,
  fetchWork,
  LONG_LOCK_MS,
  mustFetchOrchestration,
  mustFetchWork,
  requireManagement,
} from '../helpers-a.js';

/** The cancellation identity of activity `id` in execution 1. */
function identity(instance: string, activityId: number): ScheduledActivityIdentifier {
  return { instance, executionId: 1, activityId };
}

/** Starts `instance` and acks its first turn with `OrchestrationStarted`, extra events, activities and metadata. */
async function startWithActivities(
  provider: Provider,
  instance: string,
  workerItems: ActivityExecuteItem[],
  extra: { events?: Event[]; metadata?: ExecutionMetadata; cancelled?: ScheduledActivityIdentifier[] } = {},
): Promise<void> {
  await provider.enqueueForOrchestrator(startItem(instance));
  const fetched = await mustFetchOrchestration(provider, LONG_LOCK_MS);
  expect(fetched.item.instance).toBe(instance);
  await provider.ackOrchestrationItem(
    fetched.lockToken,
    emptyAck(1, {
      historyDelta: [startedEvent(instance), ...(extra.events ?? [])],
      workerItems,
      metadata: extra.metadata ?? { orchestrationName: 'TestOrch' },
      cancelledActivities: extra.cancelled ?? [],
    }),
  );
}

/** Triggers another turn of `instance` and acks it with `cancelled` (and optional events/metadata). */
async function cancelInNextTurn(
  provider: Provider,
  instance: string,
  cancelled: ScheduledActivityIdentifier[],
  extra: { events?: Event[]; metadata?: ExecutionMetadata } = {},
): Promise<void> {
  await provider.enqueueForOrchestrator(externalRaised(instance));
  const fetched = await mustFetchOrchestration(provider, LONG_LOCK_MS);
  expect(fetched.item.instance).toBe(instance);
  await provider.ackOrchestrationItem(
    fetched.lockToken,
    emptyAck(1, {
      historyDelta: extra.events ?? [],
      metadata: extra.metadata ?? {},
      cancelledActivities: cancelled,
    }),
  );
}

/** The body of a "fetch still works when the same ack ends the execution" test. */
function terminalFetch(
  options: Parameters<ConformanceGroup>[0],
  status: 'Completed' | 'Failed' | 'ContinuedAsNew',
  terminal: (instance: string) => Event,
): () => Promise<void> {
  return () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId(`cancel-${status.toLowerCase()}`);
      await startWithActivities(provider, instance, [activityItem(instance, 1)], {
        events: [terminal(instance)],
        metadata: { orchestrationName: 'TestOrch', status, output: 'done' },
      });
      const fetched = await mustFetchWork(provider);
      expect(fetched.item.instance).toBe(instance);
      expect(fetched.item.id).toBe(1);
    });
}

/**
 * duroxide validation group `cancellation` (reference provider-contract §3.2): activity cancellation by
 * deleting worker rows ("lock stealing"); the first eight keep duroxide's names from the removed
 * ExecutionState API and now check that fetch and renew never consult the orchestration state.
 */
export const cancellationGroup: ConformanceGroup = (options) => {
  it('test_fetch_returns_running_state_for_active_orchestration', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cancel-running');
      await startWithActivities(provider, instance, [activityItem(instance, 1)]);
      const fetched = await mustFetchWork(provider);
      expect(fetched.item).toMatchObject({ instance, id: 1, name: 'TestActivity', executionId: 1 });
      expect(fetched.attemptCount).toBe(1);
    }));

  it(
    'test_fetch_returns_terminal_state_when_orchestration_completed',
    terminalFetch(options, 'Completed', (i) =>
      event(i, 1, 2, { kind: 'OrchestrationCompleted', output: 'done' }),
    ),
  );

  it(
    'test_fetch_returns_terminal_state_when_orchestration_failed',
    terminalFetch(options, 'Failed', (i) =>
      event(i, 1, 2, { kind: 'OrchestrationFailed', details: orchestrationFailure('boom') }),
    ),
  );

  it(
    'test_fetch_returns_terminal_state_when_orchestration_continued_as_new',
    terminalFetch(options, 'ContinuedAsNew', (i) =>
      event(i, 1, 2, { kind: 'OrchestrationContinuedAsNew', input: 'new-input' }),
    ),
  );

  it('test_fetch_returns_missing_state_when_instance_deleted', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cancel-missing');
      await provider.enqueueForWorker(activityItem(instance, 1));
      const fetched = await mustFetchWork(provider);
      expect(fetched.item.instance, 'an activity of a never-created instance is still served').toBe(instance);
    }));

  it('test_renew_returns_running_when_orchestration_active', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cancel-renew-running');
      await startWithActivities(provider, instance, [activityItem(instance, 1)]);
      const { lockToken } = await mustFetchWork(provider);
      await provider.renewWorkItemLock(lockToken, LONG_LOCK_MS);
      await provider.ackWorkItem(lockToken, activityCompleted(instance, 1, 'ok'));
    }));

  it('test_renew_returns_terminal_when_orchestration_completed', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cancel-renew-completed');
      await startWithActivities(provider, instance, [activityItem(instance, 1)]);
      const { lockToken } = await mustFetchWork(provider);
      await cancelInNextTurn(provider, instance, [], {
        events: [event(instance, 1, 2, { kind: 'OrchestrationCompleted', output: 'done' })],
        metadata: { status: 'Completed', output: 'done' },
      });
      // Renewal is not a state lookup: it succeeds while the row exists, whatever the orchestration did.
      await provider.renewWorkItemLock(lockToken, LONG_LOCK_MS);
    }));

  it('test_renew_returns_missing_when_instance_deleted', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cancel-renew-missing');
      await provider.enqueueForWorker(activityItem(instance, 1));
      const { lockToken } = await mustFetchWork(provider);
      await provider.renewWorkItemLock(lockToken, LONG_LOCK_MS);
    }));

  it('test_ack_work_item_none_deletes_without_enqueue', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cancel-ack-none');
      await provider.enqueueForWorker(activityItem(instance, 1));
      const { lockToken } = await mustFetchWork(provider);
      await provider.ackWorkItem(lockToken, null);
      expect(await fetchWork(provider), 'worker queue is empty').toBeNull();
      expect(await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0), 'no completion was enqueued').toBeNull();
    }));

  it('test_cancelled_activities_deleted_from_worker_queue', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cancel-delete');
      await startWithActivities(
        provider,
        instance,
        [1, 2, 3].map((id) => activityItem(instance, id, { name: `Activity${id}` })),
      );
      // Activity 1 is running on a worker (locked) when the orchestration cancels it: lock stealing.
      const running = await mustFetchWork(provider);
      expect(running.item.id, 'activities are served oldest first').toBe(1);

      await cancelInNextTurn(provider, instance, [identity(instance, 1), identity(instance, 2)]);

      const remaining = await mustFetchWork(provider);
      expect(remaining.item.id, 'only activity 3 remains').toBe(3);
      expect(await fetchWork(provider)).toBeNull();
      await expectRejection(
        provider.renewWorkItemLock(running.lockToken, LONG_LOCK_MS),
        'renewing the cancelled, locked activity',
      );
    }));

  it('test_ack_work_item_fails_when_entry_deleted', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cancel-ack-stolen');
      await provider.enqueueForWorker(activityItem(instance, 1));
      const { lockToken } = await mustFetchWork(provider);
      await provider.ackWorkItem(lockToken, null);
      const error = await expectRejection(
        provider.ackWorkItem(lockToken, activityCompleted(instance, 1, 'done')),
        'ack of a deleted work item',
      );
      expectPermanent(error, 'ack of a deleted work item');
      expect(
        await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0),
        'the failed ack enqueued nothing',
      ).toBeNull();
    }));

  it('test_renew_fails_when_entry_deleted', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cancel-renew-stolen');
      await provider.enqueueForWorker(activityItem(instance, 1));
      const { lockToken } = await mustFetchWork(provider);
      await provider.ackWorkItem(lockToken, null);
      await expectRejection(
        provider.renewWorkItemLock(lockToken, LONG_LOCK_MS),
        'renew of a deleted work item',
      );
    }));

  it('test_cancelling_nonexistent_activities_is_idempotent', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cancel-idempotent');
      await startWithActivities(provider, instance, [], {
        cancelled: [identity(instance, 999), identity(instance, 1)],
      });
      expect(await provider.read(instance), 'the ack committed').toHaveLength(1);
    }));

  it('test_batch_cancellation_deletes_multiple_activities', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cancel-batch');
      const ids = [1, 2, 3, 4, 5];
      await startWithActivities(
        provider,
        instance,
        ids.map((id) => activityItem(instance, id, { name: `Activity${id}` })),
      );
      await cancelInNextTurn(
        provider,
        instance,
        ids.map((id) => identity(instance, id)),
      );
      expect(await fetchWork(provider), 'all five activities are cancelled').toBeNull();
    }));

  it('test_same_activity_in_worker_items_and_cancelled_is_noop', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cancel-schedule-then-cancel');
      await startWithActivities(
        provider,
        instance,
        [
          activityItem(instance, 2, { name: 'DroppedActivity' }),
          activityItem(instance, 3, { name: 'NormalActivity' }),
        ],
        { cancelled: [identity(instance, 2)] },
      );
      const remaining = await mustFetchWork(provider);
      expect(remaining.item.id, 'inserts run before cancellations').toBe(3);
      expect(remaining.item.name).toBe('NormalActivity');
      await provider.ackWorkItem(remaining.lockToken, null);
      expect(await fetchWork(provider)).toBeNull();
    }));

  it('test_orphan_activity_after_instance_force_deletion', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cancel-orphan');
      await startWithActivities(provider, instance, [activityItem(instance, 1, { input: 'test-input' })], {
        metadata: { orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' },
      });
      const admin = requireManagement(provider);
      const deleted = await admin.deleteInstance(instance, true);
      expect(deleted.instancesDeleted).toBeGreaterThan(0);
      await expect(admin.getInstanceInfo(instance), 'the instance is gone').rejects.toThrow();

      // Worker rows may or may not survive a force delete; a survivor must still run and ack cleanly.
      const survivor = await fetchWork(provider);
      if (survivor) {
        expect(survivor.item.instance).toBe(instance);
        await provider.ackWorkItem(survivor.lockToken, activityCompleted(instance, 1, 'orphan-result'));
      }
      await expect(
        admin.getInstanceInfo(instance),
        'an orphan completion does not recreate it',
      ).rejects.toThrow();
    }));
};
