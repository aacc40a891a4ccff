import type { Db } from './db.js';
import type { Notifier, QueueKind } from './notifier.js';

/** One attempt's outcome: the result, or null plus the clock time at which work may next appear. */
export interface PollAttempt<T> {
  result: T | null;
  nextWakeAt: number | null;
  /** An empty result that every fetch of the same pool would have got too (no work bound to one owner). */
  poolEmpty?: boolean;
}

/**
 * Runs `attempt` until it finds work or `pollMs` of real time has passed. Between attempts it sleeps until
 * a notification for the queue arrives, the next visibility/lock-expiry time (by the injected clock) comes,
 * or the poll time runs out, whichever is first. `pollMs` 0 means a single attempt; an aborted `signal` ends
 * the wait with null. `group` names the fetch's filter: notifications wake one waiter per group and item
 * (per `pool`, the filter without the session owner, for activities bound to no session). While a pool
 * is known to be empty (an empty answer valid for the whole pool, no notification since, its next wake-up
 * time not reached), a long poll waits without querying.
 */
export async function longPoll<T>(
  db: Db,
  notifier: Notifier,
  kind: QueueKind,
  pollMs: number,
  attempt: (wantWake: boolean) => Promise<PollAttempt<T>>,
  signal?: AbortSignal,
  group = '',
  pool = group,
): Promise<T | null> {
  const deadline = performance.now() + pollMs;
  let picked = false;
  for (;;) {
    if (signal?.aborted || db.closed) {
      // Picked for an item it will not fetch now: the pool must not stay known-empty.
      if (picked) notifier.forgetEmpty(kind, pool);
      return null;
    }
    const seq = notifier.seq(kind);
    let nextWakeAt = pollMs > 0 && !picked ? notifier.knownEmpty(kind, pool, db.clock.now()) : undefined;
    if (nextWakeAt === undefined) {
      let outcome: PollAttempt<T> | undefined;
      try {
        outcome = await attempt(pollMs > 0);
      } finally {
        // A fetch picked for an announced item that did not get it: the pool may still hold that item.
        if (picked && outcome?.result == null) notifier.forgetEmpty(kind, pool);
      }
      if (outcome.result !== null) return outcome.result;
      nextWakeAt = outcome.nextWakeAt;
      if (outcome.poolEmpty === true && pollMs > 0) notifier.markEmpty(kind, pool, seq, nextWakeAt);
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0 || db.closed || signal?.aborted) return null;
    const untilVisible = nextWakeAt === null ? remaining : Math.max(1, nextWakeAt - db.clock.now());
    picked = await notifier.wait(kind, seq, Math.min(remaining, untilVisible), signal, group, pool);
  }
}
