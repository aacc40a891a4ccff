import { type Clock, isManualClock } from '@duroxide/core';
import type { ChangeFeed, QueueKind, WakeToken } from './change-feed.js';
import { checkDuration, closedError } from './errors.js';

/** The result of one non-blocking fetch attempt. */
export interface Attempt<T> {
  value: T | null;
  /** When (clock ms) the next queued row becomes fetchable, if known. */
  nextAt: number | null;
  /** A hit that left nothing else fetchable for this filter (`nextAt` then applies as for a miss). */
  drained?: boolean;
}

/**
 * Long polls for one provider: fetch attempts woken by the change feed, plus the queues this process
 * knows to be empty (per queue and filter: the feed generation at which a fetch last found nothing, and
 * when the next row becomes fetchable; while the generation is unchanged every new item went to a waiting
 * fetch, so the next fetch may wait without a round trip).
 */
export class WorkPoller {
  private readonly knownEmpty = new Map<string, { generation: number; nextAt: number | null }>();

  constructor(
    private readonly feed: ChangeFeed,
    private readonly clock: Clock,
    /** Longest wait between looks at the store, whatever the notifications say. */
    private readonly recheckIntervalMs: number,
    private readonly isClosed: () => boolean,
  ) {}

  /**
   * Retries `attempt` until it finds work or `pollTimeoutMs` of real time passes, sleeping between
   * attempts until a notification, a clock advance, or the next row's visibility time. `key` names the
   * fetch's filter; a wake this fetch was chosen for and could not use goes on to another waiter.
   */
  async poll<T>(
    op: string,
    kind: QueueKind,
    key: string,
    pollTimeoutMs: number,
    signal: AbortSignal | undefined,
    attempt: () => Promise<Attempt<T>>,
  ): Promise<T | null> {
    const deadline = performance.now() + checkDuration(op, 'pollTimeoutMs', pollTimeoutMs);
    const manual = isManualClock(this.clock);
    const emptyKey = `${kind} ${key}`;
    let token: WakeToken | null = null;
    try {
      for (let first = true; ; first = false) {
        if (this.isClosed()) throw closedError(op);
        if (signal?.aborted) return null;
        const generation = this.feed.generation(kind, key);
        const broadcasts = this.feed.broadcasts(kind);
        const known = first && pollTimeoutMs > 0 ? this.knownEmpty.get(emptyKey) : undefined;
        // The queue was empty for this filter and every item since went to a waiter: wait without a round trip.
        const skip =
          known !== undefined &&
          known.generation === generation &&
          (known.nextAt === null || known.nextAt > this.now());
        let value: T | null = null;
        let nextAt = known?.nextAt ?? null;
        let drained = false;
        let claimed: WakeToken | null = null;
        if (!skip) {
          const fetch = this.feed.beginFetch(kind);
          let looked = false;
          try {
            ({ value, nextAt, drained = false } = await attempt());
            looked = true;
          } finally {
            claimed = this.feed.endFetch(fetch, looked && value === null ? key : null);
          }
        }
        if (value !== null) {
          token = null;
          if (drained) this.knownEmpty.set(emptyKey, { generation, nextAt });
          else this.knownEmpty.delete(emptyKey);
          return value;
        }
        if (!skip) this.knownEmpty.set(emptyKey, { generation, nextAt });
        if (token !== null) this.feed.passOn(token, key);
        // A wake that came while this attempt ran and that no waiter took: look once more for it.
        token = claimed;
        const remaining = deadline - performance.now();
        if (remaining <= 0) return null;
        if (token !== null || this.feed.broadcasts(kind) !== broadcasts) continue;
        let wait = Math.min(remaining, this.recheckIntervalMs);
        if (nextAt !== null && !manual) wait = Math.min(wait, Math.max(1, nextAt - this.now() + 1));
        token = await this.feed.waitForWork(kind, key, wait, signal);
        if (this.isClosed()) return null;
      }
    } finally {
      // Woken for an item but left without looking (closed, aborted, failed): someone else must look.
      if (token !== null) this.feed.giveBack(token);
    }
  }

  /** Whole clock milliseconds, as the scripts compare them. */
  private now(): number {
    return Math.floor(this.clock.now());
  }
}
