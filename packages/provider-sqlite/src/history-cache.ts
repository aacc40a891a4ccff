import type { Event } from '@duroxide/core';
import type Database from 'better-sqlite3';

/** Most instances whose decoded history is kept for the orchestration fetch. */
export const HISTORY_CACHE_INSTANCES = 1_000;
/** Most decoded events kept over all instances (roughly 300 bytes each). */
export const HISTORY_CACHE_EVENTS = 200_000;

interface Entry {
  executionId: number;
  events: Event[];
  lastEventId: number;
  /** `PRAGMA data_version` when the entry was last brought up to date. */
  dataVersion: number;
}

/**
 * Decoded history of recently fetched instances, so a fetch reads and decodes only the events appended
 * since the last one (a long orchestration no longer pays for its whole history on every turn).
 *
 * Staleness is impossible by construction: every insert, update and delete on `history` made through this
 * connection (acks, appends, management deletes, raw test SQL) reaches `noteChange` through TEMP triggers
 * and drops the instance's entry unless it is a plain append after the cached events; any commit by
 * another connection changes `PRAGMA data_version`, and the next fetch then reads the history in full.
 */
export class HistoryCache {
  private readonly entries = new Map<string, Entry>();
  private events = 0;

  constructor(
    db: Database.Database,
    /** `PRAGMA data_version` (null for in-memory databases, which no other connection can reach). */
    private readonly dataVersion: (() => number) | null,
    private readonly maxInstances = HISTORY_CACHE_INSTANCES,
    private readonly maxEvents = HISTORY_CACHE_EVENTS,
  ) {
    db.function(
      'duroxide_history_changed',
      { deterministic: false, varargs: false },
      (instance, execution, event) => {
        this.noteChange(String(instance), Number(execution), Number(event));
        return null;
      },
    );
    db.exec(`
      CREATE TEMP TRIGGER IF NOT EXISTS duroxide_history_insert AFTER INSERT ON main.history
      BEGIN SELECT duroxide_history_changed(NEW.instance_id, NEW.execution_id, NEW.event_id); END;
      CREATE TEMP TRIGGER IF NOT EXISTS duroxide_history_update AFTER UPDATE ON main.history
      BEGIN SELECT duroxide_history_changed(OLD.instance_id, OLD.execution_id, -1); END;
      CREATE TEMP TRIGGER IF NOT EXISTS duroxide_history_delete AFTER DELETE ON main.history
      BEGIN SELECT duroxide_history_changed(OLD.instance_id, OLD.execution_id, -1); END;`);
  }

  /**
   * The execution's events, read through the cache: `readAll` loads everything, `readAfter(id)` decodes
   * only rows after event `id`. Either returns `{ error }` for an undecodable row (nothing is cached then).
   */
  read<E>(
    instance: string,
    executionId: number,
    readAll: () => { events: Event[] } | { error: E },
    readAfter: (afterEventId: number) => { events: Event[] } | { error: E },
  ): { events: Event[] } | { error: E } {
    const version = this.dataVersion?.() ?? 0;
    const entry = this.entries.get(instance);
    if (entry !== undefined && entry.executionId === executionId && entry.dataVersion === version) {
      const appended = readAfter(entry.lastEventId);
      if ('error' in appended) {
        this.drop(instance);
        return appended;
      }
      for (const event of appended.events) entry.events.push(Object.freeze(event));
      this.events += appended.events.length;
      entry.lastEventId = entry.events[entry.events.length - 1]?.eventId ?? entry.lastEventId;
      this.touch(instance, entry);
      return { events: entry.events.slice() };
    }
    this.drop(instance);
    const loaded = readAll();
    if ('error' in loaded || loaded.events.length === 0) return loaded;
    const events = loaded.events.map((event) => Object.freeze(event));
    const fresh: Entry = {
      executionId,
      events,
      lastEventId: events[events.length - 1]!.eventId,
      dataVersion: version,
    };
    this.events += events.length;
    this.touch(instance, fresh);
    return { events: events.slice() };
  }

  /** A row of `history` changed through this connection (`eventId` -1: updated or deleted). */
  noteChange(instance: string, executionId: number, eventId: number): void {
    const entry = this.entries.get(instance);
    if (entry === undefined) return;
    if (eventId < 0 || entry.executionId !== executionId || eventId <= entry.lastEventId) this.drop(instance);
  }

  /** Number of cached instances (tests). */
  get size(): number {
    return this.entries.size;
  }

  private touch(instance: string, entry: Entry): void {
    this.entries.delete(instance);
    this.entries.set(instance, entry);
    while (this.entries.size > this.maxInstances || this.events > this.maxEvents) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.drop(oldest.value);
    }
  }

  private drop(instance: string): void {
    const entry = this.entries.get(instance);
    if (entry === undefined) return;
    this.entries.delete(instance);
    this.events -= entry.events.length;
  }
}
