import type { Event } from '@duroxide/core';

/** Most instances whose decoded history one provider keeps. */
export const HISTORY_CACHE_INSTANCES = 1_000;
/** Most decoded events kept over all instances (roughly 300 bytes each). */
export const HISTORY_CACHE_EVENTS = 200_000;

/** A cached execution history, exactly as stored when it was read. */
interface Entry {
  executionId: number;
  /** The execution row's epoch: it changes whenever stored history is rewritten or recreated. */
  epoch: number;
  /** Frozen decoded events in event-id order. */
  events: readonly Event[];
}

/** What a read sends so the server can return only the events after the cached prefix. */
export interface CachedPrefix {
  /** The cached execution id (-1 when nothing is cached). */
  executionId: number;
  /** The cached epoch (-1 when nothing is cached). */
  epoch: number;
  /** How many events are cached. */
  count: number;
  /** The last cached event id. */
  lastEventId: number;
  /** The cached events, to be extended with the delta. */
  events: readonly Event[];
}

/** What the server answered about the prefix. */
export interface ReadHeader {
  /** The execution whose events were returned. */
  executionId: number;
  /** That execution's epoch (null: no execution row, so nothing is cached). */
  epoch: number | null;
  /** True when only events after the cached prefix were returned. */
  delta: boolean;
}

/** The cached prefixes a fetch sends, as parallel arrays (the fetch does not know its instance yet). */
export interface PrefixSet {
  /** Instance ids. */
  instances: string[];
  /** Execution ids. */
  executions: number[];
  /** Epochs. */
  epochs: number[];
  /** Event counts. */
  counts: number[];
  /** Last event ids. */
  lastEventIds: number[];
  /** Each instance's prefix, to combine with the delta. */
  byInstance: Map<string, CachedPrefix>;
}

/** How many cached prefixes a fetch sends at most (the most recently used ones). */
export const FETCH_PREFIX_LIMIT = 64;
/** Histories shorter than this are cheap to send whole, so their prefixes are not sent with a fetch. */
export const FETCH_PREFIX_MIN_EVENTS = 8;

/** The prefix sent when nothing is cached: it matches no execution. */
export const NO_PREFIX: CachedPrefix = { executionId: -1, epoch: -1, count: 0, lastEventId: 0, events: [] };

/**
 * Decoded history of recently read instances (orchestration fetches, `read`, `readWithExecution`), so a
 * long orchestration's turn or a client's status poll transfers and decodes only the events appended since.
 * The server validates the prefix (see migration 2), so the cache can never serve events that are no
 * longer stored: a mismatch simply returns the whole history. Entries are LRU, bounded by instances and
 * events; cached events are frozen and every caller gets its own array.
 */
export class HistoryCache {
  private readonly entries = new Map<string, Entry>();
  /** The most recently stored entries with at least `FETCH_PREFIX_MIN_EVENTS` events, oldest first. */
  private readonly long = new Set<string>();
  private eventCount = 0;

  constructor(
    private readonly maxInstances = HISTORY_CACHE_INSTANCES,
    private readonly maxEvents = HISTORY_CACHE_EVENTS,
  ) {}

  /** The prefix to send for `instance` (a placeholder matching nothing when none is cached). */
  prefix(instance: string): CachedPrefix {
    const entry = this.entries.get(instance);
    if (entry === undefined || entry.events.length === 0) return NO_PREFIX;
    return {
      executionId: entry.executionId,
      epoch: entry.epoch,
      count: entry.events.length,
      lastEventId: entry.events[entry.events.length - 1]!.eventId,
      events: entry.events,
    };
  }

  /** The most recently used prefixes worth sending with a fetch (at most `FETCH_PREFIX_LIMIT`). */
  fetchPrefixes(): PrefixSet {
    const set: PrefixSet = {
      instances: [],
      executions: [],
      epochs: [],
      counts: [],
      lastEventIds: [],
      byInstance: new Map(),
    };
    for (const instance of this.long) {
      const prefix = this.prefix(instance);
      set.instances.push(instance);
      set.executions.push(prefix.executionId);
      set.epochs.push(prefix.epoch);
      set.counts.push(prefix.count);
      set.lastEventIds.push(prefix.lastEventId);
      set.byInstance.set(instance, prefix);
    }
    return set;
  }

  /** Combines the sent prefix with the returned events, caches the result when it can, and returns a copy. */
  complete(instance: string, sent: CachedPrefix, header: ReadHeader, returned: Event[]): Event[] {
    for (const event of returned) Object.freeze(event);
    const events = header.delta ? sent.events.concat(returned) : returned;
    if (header.epoch === null || events.length === 0) {
      this.drop(instance);
      return header.delta ? events : events.slice();
    }
    this.store(instance, { executionId: header.executionId, epoch: header.epoch, events });
    return events.slice();
  }

  /** Forgets `instance` (an undecodable row was returned for it). */
  drop(instance: string): void {
    const entry = this.entries.get(instance);
    if (entry === undefined) return;
    this.entries.delete(instance);
    this.long.delete(instance);
    this.eventCount -= entry.events.length;
  }

  /** Number of cached instances (tests). */
  get size(): number {
    return this.entries.size;
  }

  private store(instance: string, entry: Entry): void {
    this.drop(instance);
    if (entry.events.length > this.maxEvents) return;
    this.entries.set(instance, entry);
    this.eventCount += entry.events.length;
    if (entry.events.length >= FETCH_PREFIX_MIN_EVENTS) {
      this.long.add(instance);
      if (this.long.size > FETCH_PREFIX_LIMIT) this.long.delete(this.long.values().next().value as string);
    }
    while (this.entries.size > this.maxInstances || this.eventCount > this.maxEvents) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.drop(oldest.value);
    }
  }
}
