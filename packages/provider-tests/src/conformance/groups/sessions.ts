import type { ActivityExecuteItem, FetchedWorkItem, ManualClock, Provider } from '@duroxide/core';
import { expect, it } from 'vitest';
import { activityItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { withProvider } from '../harness.js';
import { completionFor, fetchWork, TestScope } from '../helpers-b.js';
import type { ResolvedConformanceOptions } from '../options.js';

/** duroxide's default session lease in these tests. */
const SESSION_LOCK_MS = 30_000;
/** duroxide's default activity lock in these tests. */
const WORK_LOCK_MS = 5000;

/** What every session test gets. */
interface SessionTest {
  provider: Provider;
  clock: ManualClock;
  /** Unique instance/session/owner names. */
  s: TestScope;
  /** Enqueues a session-bound activity for instance `inst` (local name) and session `session` (local name). */
  enqueueSession(inst: string, id: number, session: string): Promise<ActivityExecuteItem>;
  /** Enqueues a plain activity. */
  enqueuePlain(inst: string, id: number): Promise<ActivityExecuteItem>;
  /** Fetches as `owner` (local name) with a session config. */
  fetchAs(
    owner: string,
    opts?: { sessionLockMs?: number; workLockMs?: number },
  ): Promise<FetchedWorkItem | null>;
  /** Like `fetchAs`, failing when nothing comes back. */
  mustFetchAs(
    owner: string,
    opts?: { sessionLockMs?: number; workLockMs?: number },
  ): Promise<FetchedWorkItem>;
  /** Fetches and acks (no completion) as `owner`, claiming the session of the next item. */
  claim(owner: string, sessionLockMs?: number): Promise<FetchedWorkItem>;
  /** renewSessionLock for one owner (local name). */
  renew(owner: string, extendForMs: number, idleTimeoutMs: number): Promise<number>;
  /** Removes expired orphan sessions left by earlier tests, so counts measured afterwards are this test's. */
  drainCleanup(): Promise<void>;
}

/** Turns a session test body into a vitest test function on a fresh provider. */
function sessionRunner(options: ResolvedConformanceOptions) {
  return (body: (t: SessionTest) => Promise<void>) => () =>
    withProvider(options, async ({ provider, clock }) => {
      const s = new TestScope('sess');
      const fetchAs: SessionTest['fetchAs'] = (owner, opts = {}) =>
        fetchWork(provider, s.owns, {
          lockTimeoutMs: opts.workLockMs ?? WORK_LOCK_MS,
          session: { ownerId: s.id(owner), lockTimeoutMs: opts.sessionLockMs ?? SESSION_LOCK_MS },
        });
      const mustFetchAs: SessionTest['mustFetchAs'] = async (owner, opts) => {
        const fetched = await fetchAs(owner, opts);
        if (!fetched) throw new Error(`expected ${owner} to fetch an activity, got null`);
        return fetched;
      };
      const enqueue = async (item: ActivityExecuteItem) => {
        await provider.enqueueForWorker(item);
        return item;
      };
      await body({
        provider,
        clock,
        s,
        enqueueSession: (inst, id, session) =>
          enqueue(activityItem(s.id(inst), id, { name: 'SessionActivity', sessionId: s.id(session) })),
        enqueuePlain: (inst, id) => enqueue(activityItem(s.id(inst), id, { name: 'PlainActivity' })),
        fetchAs,
        mustFetchAs,
        claim: async (owner, sessionLockMs) => {
          const fetched = await mustFetchAs(owner, { sessionLockMs });
          await provider.ackWorkItem(fetched.lockToken, null);
          return fetched;
        },
        renew: (owner, extendForMs, idleTimeoutMs) =>
          provider.renewSessionLock([s.id(owner)], extendForMs, idleTimeoutMs),
        drainCleanup: async () => {
          await provider.cleanupOrphanedSessions(300_000);
        },
      });
    });
}

/** duroxide validation group `sessions` (reference provider-contract §3.2). */
export const sessionsGroup: ConformanceGroup = (options) => {
  const run = sessionRunner(options);

  it(
    'test_non_session_items_fetchable_by_any_worker',
    run(async (t) => {
      await t.enqueuePlain('inst-1', 1);
      const fetched = await t.fetchAs('worker-A');
      expect(fetched, 'a plain item is fetchable with a session config').not.toBeNull();
      expect(fetched?.item.sessionId).toBeUndefined();
    }),
  );

  it(
    'test_session_item_claimable_when_no_session',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'session-1');
      const fetched = await t.mustFetchAs('worker-A');
      expect(fetched.item.sessionId).toBe(t.s.id('session-1'));
    }),
  );

  it(
    'test_session_affinity_same_worker',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'session-1');
      await t.claim('worker-A');
      await t.enqueueSession('inst-1', 2, 'session-1');
      const again = await t.fetchAs('worker-A');
      expect(again?.item.id, 'the owner keeps receiving its session').toBe(2);
    }),
  );

  it(
    'test_session_affinity_blocks_other_worker',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'session-1');
      await t.claim('worker-A');
      await t.enqueueSession('inst-1', 2, 'session-1');
      expect(await t.fetchAs('worker-B'), 'another owner cannot fetch an owned session').toBeNull();
      expect((await t.fetchAs('worker-A'))?.item.id, 'the owner still can').toBe(2);
    }),
  );

  it(
    'test_different_sessions_different_workers',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'session-1');
      await t.claim('worker-A');
      await t.enqueueSession('inst-2', 1, 'session-2');
      await t.claim('worker-B');
      await t.enqueueSession('inst-1', 2, 'session-1');
      await t.enqueueSession('inst-2', 2, 'session-2');
      expect((await t.mustFetchAs('worker-A')).item.sessionId).toBe(t.s.id('session-1'));
      expect((await t.mustFetchAs('worker-B')).item.sessionId).toBe(t.s.id('session-2'));
    }),
  );

  it(
    'test_mixed_session_and_non_session_items',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'session-1');
      await t.claim('worker-A');
      await t.enqueueSession('inst-1', 2, 'session-1');
      await t.enqueuePlain('inst-2', 1);
      const fetched = await t.mustFetchAs('worker-B');
      expect(fetched.item.sessionId, 'worker-B gets the plain item, not session-1').toBeUndefined();
      expect(fetched.item.instance).toBe(t.s.id('inst-2'));
    }),
  );

  it(
    'test_session_claimable_after_lock_expiry',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'session-1');
      await t.claim('worker-A', 50);
      t.clock.advance(100);
      await t.enqueueSession('inst-1', 2, 'session-1');
      expect((await t.fetchAs('worker-B'))?.item.id, 'worker-B claims the expired session').toBe(2);
    }),
  );

  it(
    'test_none_session_skips_session_items',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'session-1');
      await t.enqueuePlain('inst-2', 2);
      const plain = await fetchWork(t.provider, t.s.owns, { lockTimeoutMs: WORK_LOCK_MS });
      expect(plain?.item.id, 'session=null gets the plain item').toBe(2);
      expect(plain?.item.sessionId).toBeUndefined();
      await t.provider.ackWorkItem(plain!.lockToken, null);
      const none = await fetchWork(t.provider, t.s.owns, { lockTimeoutMs: WORK_LOCK_MS });
      expect(none, 'session items are invisible to a session=null fetch').toBeNull();
      expect((await t.mustFetchAs('worker-A')).item.sessionId, 'visible with a session config').toBe(
        t.s.id('session-1'),
      );
    }),
  );

  it(
    'test_some_session_returns_all_items',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'sess-A');
      await t.enqueueSession('inst-2', 2, 'sess-B');
      await t.enqueueSession('inst-3', 3, 'sess-C');
      await t.enqueuePlain('inst-4', 4);
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) ids.push((await t.claim('shared-proc')).item.id);
      expect(ids, 'all items, FIFO').toEqual([1, 2, 3, 4]);
      expect(await t.fetchAs('shared-proc'), 'queue empty').toBeNull();
    }),
  );

  it(
    'test_renew_session_lock_active',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'session-1');
      await t.claim('worker-A', 5000);
      expect(await t.renew('worker-A', 30_000, 300_000), 'one active session').toBe(1);
      await t.enqueueSession('inst-2', 1, 'session-2');
      await t.claim('worker-A');
      expect(await t.renew('worker-A', 30_000, 300_000), 'two active sessions').toBe(2);
    }),
  );

  it(
    'test_renew_session_lock_skips_idle',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'session-1');
      await t.claim('worker-A');
      expect(await t.renew('worker-A', 30_000, 0), 'idle_timeout 0: everything is idle').toBe(0);
    }),
  );

  it(
    'test_renew_session_lock_no_sessions',
    run(async (t) => {
      expect(await t.renew('worker-A', 30_000, 300_000)).toBe(0);
      expect(await t.provider.renewSessionLock([], 30_000, 300_000), 'empty owner list').toBe(0);
    }),
  );

  it(
    'test_cleanup_removes_expired_no_items',
    run(async (t) => {
      await t.drainCleanup();
      await t.enqueueSession('inst-1', 1, 'session-1');
      await t.claim('worker-A', 50);
      t.clock.advance(100);
      expect(await t.provider.cleanupOrphanedSessions(300_000), 'one expired session without items').toBe(1);
    }),
  );

  it(
    'test_cleanup_keeps_sessions_with_pending_items',
    run(async (t) => {
      await t.drainCleanup();
      await t.enqueueSession('inst-1', 1, 'session-1');
      await t.claim('worker-A', 50);
      await t.enqueueSession('inst-1', 2, 'session-1');
      t.clock.advance(100);
      expect(await t.provider.cleanupOrphanedSessions(300_000), 'a pending item keeps the session').toBe(0);
    }),
  );

  it(
    'test_cleanup_keeps_active_sessions',
    run(async (t) => {
      await t.drainCleanup();
      await t.enqueueSession('inst-1', 1, 'session-1');
      await t.claim('worker-A', 300_000);
      expect(await t.provider.cleanupOrphanedSessions(300_000), 'an unexpired session is kept').toBe(0);
    }),
  );

  it(
    'test_ack_updates_session_last_activity',
    run(async (t) => {
      const idle = 200;
      const activity = await t.enqueueSession('inst-1', 1, 'session-1');
      const fetched = await t.mustFetchAs('worker-A');
      t.clock.advance(idle + 50);
      await t.provider.ackWorkItem(fetched.lockToken, completionFor(activity, 'ok'));
      expect(await t.renew('worker-A', 30_000, idle), 'ack bumped last_activity_at').toBe(1);
    }),
  );

  it(
    'test_renew_work_item_updates_session_last_activity',
    run(async (t) => {
      const idle = 200;
      await t.enqueueSession('inst-1', 1, 'session-1');
      const fetched = await t.mustFetchAs('worker-A');
      t.clock.advance(idle + 50);
      await t.provider.renewWorkItemLock(fetched.lockToken, 30_000);
      expect(await t.renew('worker-A', 30_000, idle), 'work-item renewal bumped last_activity_at').toBe(1);
    }),
  );

  it(
    'test_session_items_processed_in_order',
    run(async (t) => {
      for (const id of [1, 2, 3]) await t.enqueueSession('inst-1', id, 'session-1');
      for (const id of [1, 2, 3])
        expect((await t.claim('worker-A')).item.id, 'FIFO within a session').toBe(id);
    }),
  );

  it(
    'test_non_session_items_returned_with_session_config',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'session-1');
      await t.claim('worker-A');
      await t.enqueuePlain('inst-2', 1);
      const fetched = await t.mustFetchAs('worker-A');
      expect(fetched.item.sessionId).toBeUndefined();
      expect(fetched.item.instance).toBe(t.s.id('inst-2'));
    }),
  );

  it(
    'test_shared_worker_id_any_caller_can_fetch_owned_session',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'shared-sess');
      await t.enqueueSession('inst-1', 2, 'shared-sess');
      expect((await t.claim('process-1')).item.id).toBe(1);
      expect((await t.claim('process-1')).item.id, 'another caller with the same owner id').toBe(2);
      await t.enqueueSession('inst-1', 3, 'shared-sess');
      expect(await t.fetchAs('process-2'), 'a different owner is blocked').toBeNull();
    }),
  );

  it(
    'test_concurrent_session_claim_only_one_wins',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'contested-sess');
      await t.enqueueSession('inst-1', 2, 'contested-sess');
      const [a, b] = await Promise.all([t.fetchAs('worker-A'), t.fetchAs('worker-B')]);
      const winners = [a, b].filter((r) => r !== null);
      expect(winners, 'exactly one claimant gets an item').toHaveLength(1);
      expect(winners[0]?.item.id, 'the oldest item').toBe(1);
      const [winner, loser] = a ? ['worker-A', 'worker-B'] : ['worker-B', 'worker-A'];
      expect(await t.fetchAs(loser), 'the loser stays blocked while the winner holds the session').toBeNull();
      expect((await t.fetchAs(winner))?.item.id, 'the winner gets the next item').toBe(2);
      await t.provider.ackWorkItem(winners[0]!.lockToken, null);
    }),
  );

  it(
    'test_session_takeover_after_lock_expiry',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'takeover-sess');
      await t.claim('worker-A', 50);
      await t.enqueueSession('inst-1', 2, 'takeover-sess');
      t.clock.advance(100);
      const fetched = await t.mustFetchAs('worker-B');
      expect(fetched.item.sessionId, 'worker-B took over the session').toBe(t.s.id('takeover-sess'));
      await t.enqueueSession('inst-1', 3, 'takeover-sess');
      expect(await t.fetchAs('worker-A'), 'worker-A lost the session').toBeNull();
    }),
  );

  it(
    'test_cleanup_then_new_item_recreates_session',
    run(async (t) => {
      await t.drainCleanup();
      await t.enqueueSession('inst-1', 1, 'ephemeral-sess');
      await t.claim('worker-A', 50);
      t.clock.advance(100);
      expect(await t.provider.cleanupOrphanedSessions(300_000), 'the expired session is cleaned').toBe(1);
      await t.enqueueSession('inst-1', 2, 'ephemeral-sess');
      const fetched = await t.mustFetchAs('worker-B');
      expect(fetched.item).toMatchObject({ id: 2, sessionId: t.s.id('ephemeral-sess') });
      expect(await t.renew('worker-B', 30_000, 300_000), 'the session row was re-created for worker-B').toBe(
        1,
      );
    }),
  );

  it(
    'test_abandoned_session_item_retryable',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'retry-sess');
      const first = await t.mustFetchAs('worker-A');
      expect(first.attemptCount).toBe(1);
      await t.provider.abandonWorkItem(first.lockToken);
      const second = await t.mustFetchAs('worker-A');
      expect(second.item.id, 'the same item').toBe(1);
      expect(second.attemptCount, 'retry counts an attempt').toBe(2);
      await t.provider.ackWorkItem(second.lockToken, null);
      expect(await t.fetchAs('worker-A'), 'nothing left after ack').toBeNull();
    }),
  );

  it(
    'test_abandoned_session_item_ignore_attempt',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'ignore-sess');
      const first = await t.mustFetchAs('worker-A');
      expect(first.attemptCount).toBe(1);
      await t.provider.abandonWorkItem(first.lockToken, { delayMs: 1, ignoreAttempt: true });
      t.clock.advance(10);
      const second = await t.mustFetchAs('worker-A');
      expect(second.attemptCount, 'ignore_attempt does not inflate the count').toBe(1);
      await t.provider.ackWorkItem(second.lockToken, null);
    }),
  );

  it(
    'test_renew_session_lock_after_expiry_returns_zero',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'expired-sess');
      await t.claim('worker-A', 50);
      t.clock.advance(100);
      expect(await t.renew('worker-A', 30_000, 300_000), 'a lapsed session is not revived').toBe(0);
    }),
  );

  it(
    'test_original_worker_reclaims_expired_session',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'reclaim-sess');
      await t.claim('worker-A', 50);
      await t.enqueueSession('inst-1', 2, 'reclaim-sess');
      t.clock.advance(100);
      const fetched = await t.mustFetchAs('worker-A');
      expect(fetched.item).toMatchObject({ id: 2, sessionId: t.s.id('reclaim-sess') });
    }),
  );

  it(
    'test_activity_lock_expires_session_lock_valid_same_worker_refetches',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'sticky-sess');
      await t.mustFetchAs('worker-A', { workLockMs: 500 });
      t.clock.advance(600);
      expect(await t.fetchAs('worker-B'), 'the session is still owned by worker-A').toBeNull();
      const again = await t.mustFetchAs('worker-A');
      expect(again.item.id, 'the redelivered item').toBe(1);
      expect(again.attemptCount).toBe(2);
      await t.provider.ackWorkItem(again.lockToken, null);
    }),
  );

  it(
    'test_session_lock_expires_new_owner_gets_redelivery',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'takeover2-sess');
      await t.mustFetchAs('worker-A', { sessionLockMs: 200, workLockMs: 5000 });
      t.clock.advance(300);
      await t.enqueueSession('inst-1', 2, 'takeover2-sess');
      const fresh = await t.mustFetchAs('worker-B');
      expect(fresh.item.id, 'worker-B claims the session and gets the new item').toBe(2);
      await t.provider.ackWorkItem(fresh.lockToken, null);
      t.clock.advance(5000);
      const redelivered = await t.mustFetchAs('worker-B');
      expect(redelivered.item.id, 'the original item, after its lease lapsed').toBe(1);
      expect(redelivered.attemptCount).toBe(2);
      await t.provider.ackWorkItem(redelivered.lockToken, null);
    }),
  );

  it(
    'test_session_lock_expires_same_worker_reacquires',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'reacq-sess');
      await t.claim('worker-A', 200);
      t.clock.advance(300);
      await t.enqueueSession('inst-1', 2, 'reacq-sess');
      const fetched = await t.mustFetchAs('worker-A', { sessionLockMs: 200 });
      expect(fetched.item).toMatchObject({ id: 2, sessionId: t.s.id('reacq-sess') });
      await t.provider.ackWorkItem(fetched.lockToken, null);
    }),
  );

  it(
    'test_both_locks_expire_different_worker_claims',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'both-expire-sess');
      await t.mustFetchAs('worker-A', { sessionLockMs: 200, workLockMs: 200 });
      t.clock.advance(400);
      const fetched = await t.mustFetchAs('worker-B');
      expect(fetched.item).toMatchObject({ id: 1, sessionId: t.s.id('both-expire-sess') });
      expect(fetched.attemptCount).toBe(2);
      await t.provider.ackWorkItem(fetched.lockToken, null);
    }),
  );

  it(
    'test_session_lock_expires_activity_lock_valid_ack_succeeds',
    run(async (t) => {
      const activity = await t.enqueueSession('inst-1', 1, 'sess-expires');
      const fetched = await t.mustFetchAs('worker-A', { sessionLockMs: 200, workLockMs: 30_000 });
      t.clock.advance(300);
      await t.provider.ackWorkItem(fetched.lockToken, completionFor(activity));
    }),
  );

  it(
    'test_session_lock_renewal_extends_past_original_timeout',
    run(async (t) => {
      await t.enqueueSession('inst-1', 1, 'renew-ext-sess');
      await t.claim('worker-A', 1000);
      t.clock.advance(600);
      expect(await t.renew('worker-A', 1000, 300_000), 'renewed at 60%').toBe(1);
      t.clock.advance(400);
      await t.enqueueSession('inst-1', 2, 'renew-ext-sess');
      expect(await t.fetchAs('worker-B'), 'still owned past the original expiry').toBeNull();
      const owned = await t.mustFetchAs('worker-A', { sessionLockMs: 1000 });
      expect(owned.item.id).toBe(2);
      await t.provider.abandonWorkItem(owned.lockToken);
      t.clock.advance(1100);
      expect((await t.fetchAs('worker-B'))?.item.id, 'the renewed lease lapses too').toBe(2);
    }),
  );
};
