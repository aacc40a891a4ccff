import type { ScheduledActivityIdentifier } from '../provider/provider-contract.js';
import type { LockRenewal } from './lock-renewal.js';

function key(instance: string, executionId: number, activityId: number): string {
  return `${executionId}:${activityId}:${instance}`;
}

/**
 * The activities running in this process, by identity. When a turn committed here cancels one of them, its
 * lock is renewed at once: the renewal fails (the row is gone) and the activity is cancelled without waiting
 * for the next renewal tick. Activities running in other processes still notice at their next tick.
 */
export class RunningActivities {
  private readonly renewals = new Map<string, LockRenewal>();

  /** Tracks a running activity's renewal loop; returns the function that untracks it. */
  add(instance: string, executionId: number, activityId: number, renewal: LockRenewal): () => void {
    const k = key(instance, executionId, activityId);
    this.renewals.set(k, renewal);
    return () => {
      if (this.renewals.get(k) === renewal) this.renewals.delete(k);
    };
  }

  /** Re-checks the locks of the cancelled activities that run here. */
  poke(cancelled: ScheduledActivityIdentifier[]): void {
    for (const c of cancelled) this.renewals.get(key(c.instance, c.executionId, c.activityId))?.renewNow();
  }

  /** How many activities are tracked. */
  get size(): number {
    return this.renewals.size;
  }
}
