import type { QueueKind } from './notifier.js';

/**
 * Fetch pools (fetches of one queue that would all find the same work) whose last answer was "nothing":
 * their long polls wait without querying until a notification or the recorded next wake-up time. A
 * notification whose items were all handed to waiters of a pool leaves the pool empty (those waiters take
 * them); any other notification, a lost connection or a woken waiter that found nothing clears it.
 */
export class EmptyPools {
  private readonly pools: Record<QueueKind, Map<string, number | null>> = {
    orchestrator: new Map(),
    worker: new Map(),
  };

  /** Records `pool` as empty until `nextWakeAt` (null: until notified). */
  record(kind: QueueKind, pool: string, nextWakeAt: number | null): void {
    this.pools[kind].set(pool, nextWakeAt);
  }

  /** The pool's next wake-up (null: none) while it is known empty at `now`; undefined when unknown. */
  get(kind: QueueKind, pool: string, now: number): number | null | undefined {
    const nextWakeAt = this.pools[kind].get(pool);
    if (nextWakeAt === undefined || (nextWakeAt !== null && now >= nextWakeAt)) return undefined;
    return nextWakeAt;
  }

  /** Forgets one pool (a woken fetch found nothing or failed). */
  forget(kind: QueueKind, pool: string): void {
    this.pools[kind].delete(pool);
  }

  /** After a notification: keeps only the pools for which `handedOver` says every item went to a waiter. */
  keepOnly(kind: QueueKind, handedOver: (pool: string) => boolean): void {
    for (const pool of [...this.pools[kind].keys()]) if (!handedOver(pool)) this.pools[kind].delete(pool);
  }

  /** Forgets everything (reconnects, clock jumps, close). */
  clear(): void {
    this.pools.orchestrator.clear();
    this.pools.worker.clear();
  }
}
