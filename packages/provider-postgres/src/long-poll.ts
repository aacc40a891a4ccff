import type { Db } from './db.js';
import type { Notifier, QueueKind } from './notifier.js';

/** One attempt's outcome: the result, or null plus the clock time at which work may next appear. */
export interface PollAttempt<T> {
  result: T | null;
  nextWakeAt: number | null;
}

/**
 * Runs `attempt` until it finds work or `pollMs` of real time has passed. Between attempts it sleeps until
 * a notification for the queue arrives, the next visibility/lock-expiry time (by the injected clock) comes,
 * or the poll time runs out, whichever is first. `pollMs` 0 means a single attempt; an aborted `signal` ends
 * the wait with null. `group` names the fetch's filter: notifications wake one waiter per group and item
 * (per `pool`, the filter without the session owner, for activities bound to no session).
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
  for (;;) {
    if (signal?.aborted) return null;
    const seq = notifier.seq(kind);
    const { result, nextWakeAt } = await attempt(pollMs > 0);
    if (result !== null) return result;
    const remaining = deadline - performance.now();
    if (remaining <= 0 || db.closed || signal?.aborted) return null;
    const untilVisible = nextWakeAt === null ? remaining : Math.max(1, nextWakeAt - db.clock.now());
    await notifier.wait(kind, seq, Math.min(remaining, untilVisible), signal, group, pool);
    if (db.closed || signal?.aborted) return null;
  }
}
