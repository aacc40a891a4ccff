import { expect, it } from 'vitest';
import { activityItem, emptyAck, event, startedEvent, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { uniqueId, withProvider } from '../harness.js';
import {
  expectRejection,
  externalRaised,
  fetchWork,
  LONG_LOCK_MS,
  mustFetchOrchestration,
  mustFetchWork,
} from '../helpers-a.js';

/** duroxide validation group `atomicity` (reference provider-contract §3.2): ack is all-or-nothing. */
export const atomicityGroup: ConformanceGroup = (options) => {
  it('test_atomicity_failure_rollback', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('atomicity-rollback');
      await provider.enqueueForOrchestrator(startItem(instance));
      const first = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      await provider.ackOrchestrationItem(
        first.lockToken,
        emptyAck(1, { historyDelta: [startedEvent(instance)] }),
      );
      expect(await provider.read(instance)).toHaveLength(1);

      await provider.enqueueForOrchestrator(startItem(instance));
      const second = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      // The duplicate event id makes the ack fail; the worker item and message in the same ack must vanish with it.
      await expectRejection(
        provider.ackOrchestrationItem(
          second.lockToken,
          emptyAck(1, {
            historyDelta: [startedEvent(instance)],
            workerItems: [activityItem(instance, 2)],
            orchestratorItems: [externalRaised(instance)],
          }),
        ),
        'ack with a duplicate event id',
      );

      const after = await provider.read(instance);
      expect(after, 'history must be unchanged after a failed ack').toHaveLength(1);
      expect(after[0]?.kind).toBe('OrchestrationStarted');
      expect(await fetchWork(provider), 'no worker item may survive a failed ack').toBeNull();
      expect(
        await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0),
        'the lock must still be held after a failed ack',
      ).toBeNull();
    }));

  it('test_multi_operation_atomic_ack', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('atomicity-multi');
      await provider.enqueueForOrchestrator(startItem(instance));
      const fetched = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      const scheduled = (id: number) =>
        event(instance, 1, id, {
          kind: 'ActivityScheduled',
          name: `Activity${id - 1}`,
          input: `input${id - 1}`,
        });
      const pastFireAt = 1_234_567_890;
      await provider.ackOrchestrationItem(
        fetched.lockToken,
        emptyAck(1, {
          historyDelta: [
            startedEvent(instance),
            scheduled(2),
            scheduled(3),
            scheduled(4),
            event(instance, 1, 5, { kind: 'TimerCreated', fireAtMs: pastFireAt }),
          ],
          workerItems: [1, 2, 3].map((id) =>
            activityItem(instance, id, { name: `Activity${id}`, input: `input${id}` }),
          ),
          orchestratorItems: [
            { kind: 'TimerFired', instance, executionId: 1, id: 1, fireAtMs: pastFireAt },
            externalRaised(instance, 'TestEvent', 'test-data'),
          ],
        }),
      );

      const history = await provider.read(instance);
      expect(history.map((e) => e.eventId)).toEqual([1, 2, 3, 4, 5]);
      const workIds: number[] = [];
      for (let i = 0; i < 3; i++) workIds.push((await mustFetchWork(provider)).item.id);
      expect(workIds.sort((a, b) => a - b)).toEqual([1, 2, 3]);
      expect(await fetchWork(provider)).toBeNull();

      const batch = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(batch.item.instance).toBe(instance);
      expect(batch.item.messages.map((m) => m.kind)).toEqual(['TimerFired', 'ExternalRaised']);
    }));

  it('test_lock_released_only_on_successful_ack', () =>
    withProvider(options, async (t) => {
      const { provider, lockTimeoutMs } = t;
      const instance = uniqueId('atomicity-release');
      await provider.enqueueForOrchestrator(startItem(instance));
      await mustFetchOrchestration(provider, lockTimeoutMs);
      expect(await provider.fetchOrchestrationItem(lockTimeoutMs, 0)).toBeNull();

      await expectRejection(
        provider.ackOrchestrationItem(
          'invalid-lock-token',
          emptyAck(1, { historyDelta: [startedEvent(instance, 1, 2)] }),
        ),
        'ack with a bogus token',
      );
      expect(await provider.fetchOrchestrationItem(lockTimeoutMs, 0), 'lock still held').toBeNull();
      expect(await provider.read(instance), 'the bogus ack wrote nothing').toEqual([]);

      t.clock.advance(lockTimeoutMs + 1);
      const again = await mustFetchOrchestration(provider, lockTimeoutMs);
      expect(again.item.instance).toBe(instance);
    }));

  it('test_concurrent_ack_prevention', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('atomicity-concurrent');
      await provider.enqueueForOrchestrator(startItem(instance));
      const { lockToken } = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      const ack = () =>
        provider.ackOrchestrationItem(lockToken, emptyAck(1, { historyDelta: [startedEvent(instance)] }));
      const results = await Promise.allSettled([ack(), ack()]);
      expect(
        results.filter((r) => r.status === 'fulfilled'),
        'exactly one ack succeeds',
      ).toHaveLength(1);
      expect(
        results.filter((r) => r.status === 'rejected'),
        'exactly one ack fails',
      ).toHaveLength(1);
      expect(await provider.read(instance)).toHaveLength(1);
    }));
};
