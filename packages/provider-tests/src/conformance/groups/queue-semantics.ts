import type { Provider, QueueMessageItem } from '@duroxide/core';
import { expect, it } from 'vitest';
import { activityItem, createInstance, emptyAck, startedEvent, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { withProvider } from '../harness.js';
import {
  completionFor,
  fetchOrch,
  fetchWork,
  mustFetchOrch,
  mustFetchWork,
  TestScope,
} from '../helpers-b.js';

/** Starts `instance` and acks an OrchestrationStarted event with empty metadata. */
async function startInstance(provider: Provider, instance: string): Promise<void> {
  await provider.enqueueForOrchestrator(startItem(instance));
  const fetched = await mustFetchOrch(provider, (i) => i === instance, 30_000);
  await provider.ackOrchestrationItem(
    fetched.lockToken,
    emptyAck(1, { historyDelta: [startedEvent(instance)] }),
  );
}

function queueMessage(instance: string, data: string): QueueMessageItem {
  return { kind: 'QueueMessage', instance, name: 'ConfigUpdate', data };
}

/** duroxide validation group `queue_semantics` (reference provider-contract §3.2). */
export const queueSemanticsGroup: ConformanceGroup = (options) => {
  const long = { lockTimeoutMs: 30_000 };

  it('test_worker_queue_fifo_ordering', () =>
    withProvider(options, async ({ provider }) => {
      const s = new TestScope('fifo');
      const a = s.id('instance-A');
      for (let i = 0; i < 5; i++) {
        await provider.enqueueForWorker(activityItem(a, i, { name: `Activity${i}`, input: `input${i}` }));
      }
      for (let i = 0; i < 5; i++) {
        const fetched = await mustFetchWork(provider, s.owns, long, `activity ${i}`);
        expect(fetched.item, 'dequeued in enqueue order').toMatchObject({ id: i, name: `Activity${i}` });
      }
      expect(await fetchWork(provider, s.owns, long), 'queue drained').toBeNull();
    }));

  it('test_worker_peek_lock_semantics', () =>
    withProvider(options, async ({ provider }) => {
      const s = new TestScope('peek-lock');
      const activity = activityItem(s.id('instance-A'), 1, { name: 'Activity1', input: 'input1' });
      await provider.enqueueForWorker(activity);
      const fetched = await mustFetchWork(provider, s.owns, long);
      expect(fetched.item.kind).toBe('ActivityExecute');
      expect(await fetchWork(provider, s.owns, long), 'a locked item is invisible').toBeNull();
      await provider.ackWorkItem(fetched.lockToken, completionFor(activity, 'result1'));
      expect(await fetchWork(provider, s.owns, long), 'ack removed the item').toBeNull();
    }));

  it('test_worker_ack_atomicity', () =>
    withProvider(options, async ({ provider }) => {
      const s = new TestScope('ack-atomicity');
      const a = s.id('instance-A');
      await startInstance(provider, a);
      const activity = activityItem(a, 1, { name: 'Activity1', input: 'input1' });
      await provider.enqueueForWorker(activity);
      const fetched = await mustFetchWork(provider, s.owns, long);
      await provider.ackWorkItem(fetched.lockToken, completionFor(activity, 'result1'));
      expect(await fetchWork(provider, s.owns, long), 'worker queue empty').toBeNull();
      const orch = await mustFetchOrch(provider, s.owns, 30_000, 'the completion batch');
      expect(orch.item.instance).toBe(a);
      expect(orch.item.messages).toHaveLength(1);
      expect(orch.item.messages[0]).toMatchObject({ kind: 'ActivityCompleted', id: 1, result: 'result1' });
    }));

  it('test_timer_delayed_visibility', () =>
    withProvider(options, async ({ provider, clock }) => {
      const s = new TestScope('timer-visibility');
      const a = s.id('instance-A');
      await startInstance(provider, a);
      await provider.enqueueForOrchestrator(
        { kind: 'TimerFired', instance: a, executionId: 1, id: 1, fireAtMs: 0 },
        5000,
      );
      expect(await fetchOrch(provider, s.owns, 30_000), 'timer not visible yet').toBeNull();
      clock.advance(4900);
      expect(await fetchOrch(provider, s.owns, 30_000), 'still invisible 100 ms before').toBeNull();
      clock.advance(200);
      const fired = await mustFetchOrch(provider, s.owns, 30_000, 'the timer after 5.1 s');
      expect(fired.item.instance).toBe(a);
      expect(fired.item.messages.map((m) => m.kind)).toEqual(['TimerFired']);
    }));

  it('test_lost_lock_token_handling', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const s = new TestScope('lost-token');
      await provider.enqueueForWorker(activityItem(s.id('instance-A'), 1));
      await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      // The token is dropped without ack, as after a crash.
      expect(await fetchWork(provider, s.owns, { lockTimeoutMs }), 'locked').toBeNull();
      clock.advance(lockTimeoutMs + 100);
      const again = await mustFetchWork(provider, s.owns, { lockTimeoutMs }, 'the redelivered item');
      expect(again.item).toMatchObject({ kind: 'ActivityExecute', id: 1 });
      expect(again.attemptCount).toBe(2);
    }));

  it('test_worker_item_immediate_visibility', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('immediate');
      const activity = activityItem(s.id('test-immediate-vis'), 1, { input: 'test' });
      await provider.enqueueForWorker(activity);
      const fetched = await mustFetchWork(provider, s.owns, { lockTimeoutMs }, 'the new item at once');
      expect(fetched.item.name).toBe('TestActivity');
      await provider.ackWorkItem(fetched.lockToken, completionFor(activity));
    }));

  it('test_worker_delayed_visibility_skips_future_items', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const s = new TestScope('delayed-skip');
      const a = s.id('test-delayed-vis');
      await provider.enqueueForWorker(activityItem(a, 1, { name: 'Activity1', input: 'first' }));
      await provider.enqueueForWorker(activityItem(a, 2, { name: 'Activity2', input: 'second' }));
      const first = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      expect(first.item.id).toBe(1);
      await provider.abandonWorkItem(first.lockToken, { delayMs: 500 });
      const second = await mustFetchWork(provider, s.owns, { lockTimeoutMs }, 'the second item');
      expect(second.item.id, 'the delayed item is skipped').toBe(2);
      expect(await fetchWork(provider, s.owns, { lockTimeoutMs }), 'one delayed, one locked').toBeNull();
      clock.advance(600);
      const third = await mustFetchWork(
        provider,
        s.owns,
        { lockTimeoutMs },
        'the first item after its delay',
      );
      expect(third.item.id).toBe(1);
      await provider.ackWorkItem(second.lockToken, completionFor(second.item));
      await provider.ackWorkItem(third.lockToken, completionFor(third.item));
    }));

  it('test_orphan_queue_messages_dropped', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('orphan');
      const orphan = s.id('orphan-test');
      await provider.enqueueForOrchestrator(queueMessage(orphan, 'v1'));
      await provider.enqueueForOrchestrator(queueMessage(orphan, 'v2'));
      expect(
        await fetchOrch(provider, s.owns, 5000),
        'queue messages for no instance are not delivered',
      ).toBeNull();
      expect(await fetchOrch(provider, s.owns, 5000), 'they were deleted, not left to spin').toBeNull();

      const existing = s.id('orphan-test-existing');
      await createInstance(provider, existing, lockTimeoutMs);
      await provider.enqueueForOrchestrator(queueMessage(existing, 'v3'));
      const fetched = await mustFetchOrch(
        provider,
        s.owns,
        5000,
        'the queue message of the existing instance',
      );
      expect(fetched.item.instance).toBe(existing);
      expect(fetched.item.messages).toContainEqual(queueMessage(existing, 'v3'));
      await provider.ackOrchestrationItem(fetched.lockToken, emptyAck(fetched.item.executionId));
    }));
};
