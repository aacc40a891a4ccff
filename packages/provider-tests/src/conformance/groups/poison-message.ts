import type { ActivityCompletedItem } from '@duroxide/core';
import { expect, it } from 'vitest';
import { activityItem, emptyAck, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { withProvider } from '../harness.js';
import { completionFor, mustFetchOrch, mustFetchWork, TestScope } from '../helpers-b.js';

/** duroxide validation group `poison_message` (reference provider-contract §3.2). */
export const poisonMessageGroup: ConformanceGroup = (options) => {
  it('orchestration_attempt_count_starts_at_one', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('poison-1');
      await provider.enqueueForOrchestrator(startItem(s.id('poison-test-1')));
      const fetched = await mustFetchOrch(provider, s.owns, lockTimeoutMs);
      expect(fetched.attemptCount, 'first fetch').toBe(1);
      await provider.ackOrchestrationItem(fetched.lockToken, emptyAck(1));
    }));

  it('orchestration_attempt_count_increments_on_refetch', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('poison-2');
      await provider.enqueueForOrchestrator(startItem(s.id('poison-test-2')));
      let fetched = await mustFetchOrch(provider, s.owns, lockTimeoutMs);
      expect(fetched.attemptCount, 'first fetch').toBe(1);
      for (const expected of [2, 3]) {
        await provider.abandonOrchestrationItem(fetched.lockToken);
        fetched = await mustFetchOrch(provider, s.owns, lockTimeoutMs);
        expect(fetched.attemptCount, `fetch number ${expected}`).toBe(expected);
      }
      await provider.ackOrchestrationItem(fetched.lockToken, emptyAck(1));
    }));

  it('worker_attempt_count_starts_at_one', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('poison-3');
      const activity = activityItem(s.id('poison-test-3'), 1);
      await provider.enqueueForWorker(activity);
      const fetched = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      expect(fetched.attemptCount, 'first fetch').toBe(1);
      expect(fetched.item).toMatchObject({ kind: 'ActivityExecute', id: 1 });
      await provider.ackWorkItem(fetched.lockToken, completionFor(activity));
    }));

  it('worker_attempt_count_increments_on_lock_expiry', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const s = new TestScope('poison-4');
      const activity = activityItem(s.id('poison-test-4'), 1);
      await provider.enqueueForWorker(activity);
      const first = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      expect(first.attemptCount, 'first fetch').toBe(1);
      clock.advance(lockTimeoutMs + 100);
      const second = await mustFetchWork(provider, s.owns, { lockTimeoutMs }, 'the item after lock expiry');
      expect(second.attemptCount, 'fetch after lock expiry').toBe(2);
      await provider.ackWorkItem(second.lockToken, completionFor(activity));
    }));

  it('attempt_count_is_per_message', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('poison-5');
      await provider.enqueueForWorker(activityItem(s.id('poison-test-5a'), 1, { name: 'Activity1' }));
      await provider.enqueueForWorker(activityItem(s.id('poison-test-5b'), 2, { name: 'Activity2' }));
      const first = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      const second = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      expect(first.attemptCount, 'first item').toBe(1);
      expect(second.attemptCount, 'second item').toBe(1);
      expect(first.item.id, 'two different items').not.toBe(second.item.id);
      await provider.ackWorkItem(first.lockToken, completionFor(first.item));
      await provider.ackWorkItem(second.lockToken, completionFor(second.item));
    }));

  it('abandon_work_item_ignore_attempt_decrements', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('poison-ignore-1');
      const activity = activityItem(s.id('poison-test-ignore-1'), 1);
      await provider.enqueueForWorker(activity);
      const first = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      expect(first.attemptCount).toBe(1);
      await provider.abandonWorkItem(first.lockToken);
      const second = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      expect(second.attemptCount).toBe(2);
      await provider.abandonWorkItem(second.lockToken, { ignoreAttempt: true });
      const third = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      expect(third.attemptCount, 'decremented to 1, then counted again').toBe(2);
      await provider.ackWorkItem(third.lockToken, completionFor(activity));
    }));

  it('abandon_orchestration_item_ignore_attempt_decrements', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('poison-ignore-2');
      await provider.enqueueForOrchestrator(startItem(s.id('poison-test-ignore-2')));
      const first = await mustFetchOrch(provider, s.owns, lockTimeoutMs);
      expect(first.attemptCount).toBe(1);
      await provider.abandonOrchestrationItem(first.lockToken);
      const second = await mustFetchOrch(provider, s.owns, lockTimeoutMs);
      expect(second.attemptCount).toBe(2);
      await provider.abandonOrchestrationItem(second.lockToken, { ignoreAttempt: true });
      const third = await mustFetchOrch(provider, s.owns, lockTimeoutMs);
      expect(third.attemptCount, 'decremented to 1, then counted again').toBe(2);
      await provider.ackOrchestrationItem(third.lockToken, emptyAck(1));
    }));

  it('ignore_attempt_never_goes_negative', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('poison-never-neg');
      const activity = activityItem(s.id('poison-test-never-neg'), 1);
      await provider.enqueueForWorker(activity);
      let fetched = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      expect(fetched.attemptCount).toBe(1);
      for (const round of [2, 3]) {
        await provider.abandonWorkItem(fetched.lockToken, { ignoreAttempt: true });
        fetched = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
        expect(fetched.attemptCount, `fetch ${round}: the count never drops below 0`).toBe(1);
      }
      await provider.ackWorkItem(fetched.lockToken, completionFor(activity));
    }));

  it('max_attempt_count_across_message_batch', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('poison-batch');
      const a = s.id('poison-batch-test');
      await provider.enqueueForOrchestrator(startItem(a));
      const first = await mustFetchOrch(provider, s.owns, lockTimeoutMs);
      expect(first.attemptCount).toBe(1);
      expect(first.item.messages).toHaveLength(1);
      await provider.abandonOrchestrationItem(first.lockToken);
      const second = await mustFetchOrch(provider, s.owns, lockTimeoutMs);
      expect(second.attemptCount).toBe(2);
      const completion: ActivityCompletedItem = {
        kind: 'ActivityCompleted',
        instance: a,
        executionId: 1,
        id: 1,
        result: 'activity result',
      };
      await provider.enqueueForOrchestrator(completion);
      await provider.abandonOrchestrationItem(second.lockToken);
      const third = await mustFetchOrch(provider, s.owns, lockTimeoutMs);
      expect(
        third.item.messages.map((m) => m.kind),
        'the batch holds both messages',
      ).toEqual(['StartOrchestration', 'ActivityCompleted']);
      expect(third.attemptCount, 'max over the batch (3 and 1)').toBe(3);
      await provider.ackOrchestrationItem(third.lockToken, emptyAck(1));
    }));
};
