import { expect, it } from 'vitest';
import { activityItem, emptyAck, startedEvent, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { withProvider } from '../harness.js';
import {
  completionFor,
  expectPermanentError,
  fetchOrch,
  fetchWork,
  mustFetchOrch,
  mustFetchWork,
  TestScope,
} from '../helpers-b.js';

/** duroxide validation group `lock_expiration` (reference provider-contract §3.2). */
export const lockExpirationGroup: ConformanceGroup = (options) => {
  it('test_lock_expires_after_timeout', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const s = new TestScope('lock-expires');
      const a = s.id('instance-A');
      await provider.enqueueForOrchestrator(startItem(a));
      const first = await mustFetchOrch(provider, s.owns, lockTimeoutMs);
      expect(await fetchOrch(provider, s.owns, lockTimeoutMs), 'lock is held').toBeNull();
      clock.advance(lockTimeoutMs + 100);
      const second = await mustFetchOrch(provider, s.owns, lockTimeoutMs, 'the batch after lock expiry');
      expect(second.item.instance).toBe(a);
      expect(second.lockToken, 'a new lock token').not.toBe(first.lockToken);
      await expectPermanentError(
        provider.ackOrchestrationItem(first.lockToken, emptyAck(1)),
        'ack with the expired token',
      );
    }));

  it('test_abandon_releases_lock_immediately', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('abandon-releases');
      const a = s.id('instance-A');
      await provider.enqueueForOrchestrator(startItem(a));
      const first = await mustFetchOrch(provider, s.owns, lockTimeoutMs);
      expect(await fetchOrch(provider, s.owns, lockTimeoutMs), 'lock is held').toBeNull();
      await provider.abandonOrchestrationItem(first.lockToken);
      const second = await mustFetchOrch(provider, s.owns, lockTimeoutMs, 'the batch right after abandon');
      expect(second.item.instance).toBe(a);
    }));

  it('test_lock_renewal_on_ack', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('renewal-on-ack');
      const a = s.id('instance-A');
      await provider.enqueueForOrchestrator(startItem(a));
      const first = await mustFetchOrch(provider, s.owns, lockTimeoutMs);
      expect(await fetchOrch(provider, s.owns, lockTimeoutMs), 'lock is held').toBeNull();
      await provider.enqueueForOrchestrator(startItem(a));
      expect(await fetchOrch(provider, s.owns, lockTimeoutMs), 'still locked after a new message').toBeNull();
      await provider.ackOrchestrationItem(first.lockToken, emptyAck(1, { historyDelta: [startedEvent(a)] }));
      const next = await mustFetchOrch(
        provider,
        s.owns,
        lockTimeoutMs,
        'the mid-turn message right after ack',
      );
      expect(next.item.instance).toBe(a);
      expect(next.item.messages, 'only the message that arrived during the turn').toHaveLength(1);
    }));

  it('test_concurrent_lock_attempts_respect_expiration', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const s = new TestScope('concurrent-expiry');
      const a = s.id('instance-A');
      await provider.enqueueForOrchestrator(startItem(a));
      await mustFetchOrch(provider, s.owns, lockTimeoutMs);
      // Five staggered fetchers, all before the lock expires.
      const stagger = Math.max(1, Math.floor(lockTimeoutMs / 20));
      const attempts = [];
      for (let i = 0; i < 5; i++) {
        clock.advance(stagger);
        attempts.push(fetchOrch(provider, s.owns, lockTimeoutMs));
      }
      for (const result of await Promise.all(attempts)) expect(result, 'lock still held').toBeNull();
      clock.advance(lockTimeoutMs - 5 * stagger + 100);
      const after = await mustFetchOrch(provider, s.owns, lockTimeoutMs, 'the batch after expiry');
      expect(after.item.instance).toBe(a);
    }));

  it('test_worker_lock_renewal_success', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const s = new TestScope('worker-renew');
      await provider.enqueueForWorker(activityItem(s.id('test-instance'), 1));
      const fetched = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      expect(await fetchWork(provider, s.owns, { lockTimeoutMs }), 'item is locked').toBeNull();
      clock.advance(100);
      await provider.renewWorkItemLock(fetched.lockToken, lockTimeoutMs);
      expect(await fetchWork(provider, s.owns, { lockTimeoutMs }), 'still locked after renewal').toBeNull();
    }));

  it('test_worker_lock_renewal_invalid_token', () =>
    withProvider(options, async ({ provider }) => {
      await expectPermanentError(
        provider.renewWorkItemLock('invalid-token-123', 30_000),
        'renew with an unknown token',
      );
    }));

  it('test_worker_lock_renewal_after_expiration', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const s = new TestScope('worker-renew-expired');
      await provider.enqueueForWorker(activityItem(s.id('test-instance'), 1));
      const fetched = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      clock.advance(lockTimeoutMs + 100);
      await expectPermanentError(
        provider.renewWorkItemLock(fetched.lockToken, lockTimeoutMs),
        'renew after the lock expired',
      );
    }));

  it('test_worker_lock_renewal_extends_timeout', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const s = new TestScope('worker-renew-extends');
      const a = s.id('instance');
      await provider.enqueueForOrchestrator(startItem(a));
      const orch = await mustFetchOrch(provider, s.owns, 30_000);
      await provider.ackOrchestrationItem(
        orch.lockToken,
        emptyAck(1, {
          historyDelta: [startedEvent(a)],
          workerItems: [activityItem(a, 1, { input: 'test' })],
          metadata: { orchestrationName: 'TestOrch' },
        }),
      );
      const fetched = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      const preRenewal = Math.floor(lockTimeoutMs * 0.6);
      clock.advance(preRenewal);
      await provider.renewWorkItemLock(fetched.lockToken, lockTimeoutMs);
      clock.advance(lockTimeoutMs - preRenewal);
      expect(
        await fetchWork(provider, s.owns, { lockTimeoutMs }),
        'locked at 1.0x thanks to renewal',
      ).toBeNull();
      clock.advance(preRenewal + 100);
      const again = await fetchWork(provider, s.owns, { lockTimeoutMs });
      expect(again, 'the renewed lock expires too').not.toBeNull();
    }));

  it('test_worker_lock_renewal_after_ack', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('worker-renew-acked');
      const activity = activityItem(s.id('test-instance'), 1);
      await provider.enqueueForWorker(activity);
      const fetched = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      await provider.ackWorkItem(fetched.lockToken, completionFor(activity));
      await expectPermanentError(
        provider.renewWorkItemLock(fetched.lockToken, lockTimeoutMs),
        'renew after ack',
      );
    }));

  it('test_abandon_work_item_releases_lock', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const s = new TestScope('abandon-work');
      const activity = activityItem(s.id('test-abandon-work'), 1);
      await provider.enqueueForWorker(activity);
      const first = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      expect(first.item.kind).toBe('ActivityExecute');
      expect(await fetchWork(provider, s.owns, { lockTimeoutMs }), 'item is locked').toBeNull();
      await provider.abandonWorkItem(first.lockToken);
      const second = await mustFetchWork(provider, s.owns, { lockTimeoutMs }, 'the item right after abandon');
      expect(second.item.id).toBe(1);
      expect(second.lockToken, 'a new lock token').not.toBe(first.lockToken);
      await provider.ackWorkItem(second.lockToken, completionFor(activity));
      // Not idempotent: a released or acked token is unknown (reference §1.4.11, §1.9).
      await expectPermanentError(provider.abandonWorkItem(second.lockToken), 'abandon with an acked token');
    }));

  it('test_abandon_work_item_with_delay', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const s = new TestScope('abandon-delay');
      const activity = activityItem(s.id('test-abandon-delay'), 1);
      await provider.enqueueForWorker(activity);
      const first = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      await provider.abandonWorkItem(first.lockToken, { delayMs: 500 });
      expect(await fetchWork(provider, s.owns, { lockTimeoutMs }), 'hidden during the delay').toBeNull();
      clock.advance(600);
      const second = await mustFetchWork(provider, s.owns, { lockTimeoutMs }, 'the item after the delay');
      expect(second.item.kind).toBe('ActivityExecute');
      await provider.ackWorkItem(second.lockToken, completionFor(activity));
    }));

  it('test_worker_ack_fails_after_lock_expiry', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const s = new TestScope('ack-expiry');
      const activity = activityItem(s.id('ack-expiry-test'), 1);
      await provider.enqueueForWorker(activity);
      const fetched = await mustFetchWork(provider, s.owns, { lockTimeoutMs });
      clock.advance(lockTimeoutMs + 200);
      await expectPermanentError(
        provider.ackWorkItem(fetched.lockToken, completionFor(activity)),
        'worker ack with an expired lock',
      );
      expect(
        await fetchOrch(provider, s.owns, lockTimeoutMs),
        'the rejected ack enqueued nothing',
      ).toBeNull();
      const again = await fetchWork(provider, s.owns, { lockTimeoutMs: 5000 });
      expect(again, 'the item is still queued and refetchable').not.toBeNull();
    }));

  it('test_orchestration_lock_renewal_after_expiration', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const s = new TestScope('orch-renew-expired');
      await provider.enqueueForOrchestrator(startItem(s.id('orch-renewal-expiry')));
      const fetched = await mustFetchOrch(provider, s.owns, lockTimeoutMs);
      // Positive control: a live lock renews and outlives its original expiry.
      const step = Math.floor(lockTimeoutMs * 0.6);
      clock.advance(step);
      await provider.renewOrchestrationItemLock(fetched.lockToken, lockTimeoutMs);
      clock.advance(step);
      expect(await fetchOrch(provider, s.owns, lockTimeoutMs), 'renewed lock still held').toBeNull();
      clock.advance(lockTimeoutMs);
      await expectPermanentError(
        provider.renewOrchestrationItemLock(fetched.lockToken, lockTimeoutMs),
        'orchestration renew after expiry',
      );
      expect(
        await fetchOrch(provider, s.owns, lockTimeoutMs),
        'the expired lock is free again',
      ).not.toBeNull();
    }));
};
