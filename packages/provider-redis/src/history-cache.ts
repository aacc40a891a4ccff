import type { Event } from '@duroxide/core';

/** Most instances whose decoded history one provider keeps. */
export const HISTORY_CACHE_INSTANCES = 1_000;
/** Most decoded events kept over all instances (roughly 300 bytes each). */
export const HISTORY_CACHE_EVENTS = 200_000;

/** One instance's cached execution. */
interface Entry {
  /** The execution the events belong to. */
  executionId: number;
  /** The Redis-side history generation the events were read under. */
  generation: string;
  /** Frozen decoded events, ordered by event id. */
  events: Event[];
}

/** What a script needs to send only the events after a cached prefix. */
export interface CacheHint {
  /** Cached execution id ('' = nothing cached). */
  executionId: number | '';
  /** Generation of the cached events. */
  generation: string;
  /** Number of cached events. */
  count: number;
  /** Highest cached event id. */
  lastEventId: number;
}

/** A history reply: `base` -1 means `events` is the whole history, else it follows the first `base`. */
export interface HistoryReply {
  /** The execution read. */
  executionId: number;
  /** Its generation (null for an execution stored without one: never cached). */
  generation: string | null;
  /** Number of leading events the reply omits (the caller's cached prefix), or -1. */
  base: number;
  /** The decoded events the reply carries. */
  events: Event[];
}

/** The hint of an empty cache: the script sends the whole history. */
export const NO_HINT: CacheHint = { executionId: '', generation: '', count: 0, lastEventId: 0 };

/**
 * Decoded history of recently read executions (one per instance, keyed by escaped id), so a fetch or a
 * status read transfers and decodes only the events appended since this process last saw the execution.
 *
 * It cannot go stale: every execution carries a generation (unique across the key space) that any write
 * other than a tail append replaces, and deleted executions lose it; the scripts compare it atomically
 * and send the whole history when the caller's prefix is not provably intact.
 */
export class HistoryCache {
  private readonly entries = new Map<string, Entry>();
  private events = 0;

  constructor(
    private readonly maxInstances = HISTORY_CACHE_INSTANCES,
    private readonly maxEvents = HISTORY_CACHE_EVENTS,
  ) {}

  /** The hint for reading `executionId` (null = the latest) of instance `e`. */
  hint(e: string, executionId: number | null): CacheHint {
    const entry = this.entries.get(e);
    if (entry === undefined || (executionId !== null && entry.executionId !== executionId)) return NO_HINT;
    return {
      executionId: entry.executionId,
      generation: entry.generation,
      count: entry.events.length,
      lastEventId: entry.events[entry.events.length - 1]?.eventId ?? 0,
    };
  }

  /**
   * Completes a reply into the full history and remembers it; null when the reply extends a prefix this
   * cache no longer holds (evicted, or never received), so the caller must read the whole history.
   */
  resolve(e: string, reply: HistoryReply): Event[] | null {
    let events: Event[];
    if (reply.base < 0) {
      events = reply.events.map((event) => Object.freeze(event));
    } else {
      const entry = this.entries.get(e);
      if (
        entry === undefined ||
        reply.generation === null ||
        entry.executionId !== reply.executionId ||
        entry.generation !== reply.generation ||
        entry.events.length < reply.base
      ) {
        return null;
      }
      events = entry.events.slice(0, reply.base);
      for (const event of reply.events) events.push(Object.freeze(event));
    }
    if (reply.generation !== null) this.store(e, reply.executionId, reply.generation, events);
    return events.slice();
  }

  /** Forgets an instance (its history could not be decoded). */
  drop(e: string): void {
    const entry = this.entries.get(e);
    if (entry === undefined) return;
    this.entries.delete(e);
    this.events -= entry.events.length;
  }

  /** Number of cached instances (tests). */
  get size(): number {
    return this.entries.size;
  }

  private store(e: string, executionId: number, generation: string, events: Event[]): void {
    const old = this.entries.get(e);
    // A read of an older execution never displaces the newer one a fetch keeps extending.
    if (old !== undefined && old.executionId > executionId) return;
    this.drop(e);
    if (events.length > this.maxEvents) return;
    this.entries.set(e, { executionId, generation, events });
    this.events += events.length;
    while (this.entries.size > this.maxInstances || this.events > this.maxEvents) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.drop(oldest.value);
    }
  }
}
