import { randomUUID } from 'node:crypto';
import { type Clock, decodeEvent, type Event, ProviderError, validateEvent } from '@duroxide/core';
import type Database from 'better-sqlite3';
import { checkPayloadSize, corruptRow, invalidInput, sqliteCode } from './errors.js';
import { HistoryCache } from './history-cache.js';

/** What every store module needs: the connection, the clock and the payload limit. */
export interface StoreContext {
  /** The open connection. */
  db: Database.Database;
  /** The injected clock; every time comparison uses it. */
  clock: Clock;
  /** The largest serialized event or work item accepted. */
  maxPayloadBytes: number;
}

/** A fresh, never reused lock token. */
export function newLockToken(): string {
  return `lock_${randomUUID()}`;
}

/** An event serialized and checked, ready to insert. */
export interface EncodedEvent {
  /** The event id (primary key part). */
  eventId: number;
  /** The event kind (an indexed column). */
  kind: string;
  /** The JSON text. */
  data: string;
}

interface HistoryRow {
  event_id: number;
  event_data: string;
}

/** History rows: append-only, keyed by (instance, execution, event id). */
export class HistoryStore {
  private readonly latestExecutionStmt: Database.Statement<[string], { id: number }>;
  private readonly selectStmt: Database.Statement<[string, number], HistoryRow>;
  private readonly selectAfterStmt: Database.Statement<[string, number, number], HistoryRow>;
  private readonly cache: HistoryCache;
  private readonly insertStmt: Database.Statement<[string, number, number, string, string]>;
  private readonly readLatestTx: Database.Transaction<(operation: string, instance: string) => Event[]>;
  private readonly readTx: Database.Transaction<
    (operation: string, instance: string, executionId: number) => Event[]
  >;
  private readonly appendTx: Database.Transaction<
    (instance: string, executionId: number, events: EncodedEvent[]) => void
  >;

  constructor(private readonly ctx: StoreContext) {
    const { db } = ctx;
    this.latestExecutionStmt = db.prepare(
      'SELECT COALESCE(MAX(execution_id), 1) AS id FROM executions WHERE instance_id = ?',
    );
    this.selectStmt = db.prepare(
      'SELECT event_id, event_data FROM history WHERE instance_id = ? AND execution_id = ? ORDER BY event_id',
    );
    this.selectAfterStmt = db.prepare(
      `SELECT event_id, event_data FROM history WHERE instance_id = ? AND execution_id = ? AND event_id > ?
       ORDER BY event_id`,
    );
    const dataVersionStmt = db.prepare('PRAGMA data_version').pluck();
    this.cache = new HistoryCache(db, db.memory ? null : () => dataVersionStmt.get() as number);
    this.insertStmt = db.prepare(
      'INSERT INTO history (instance_id, execution_id, event_id, event_kind, event_data) VALUES (?, ?, ?, ?, ?)',
    );
    this.appendTx = db.transaction((instance, executionId, events) =>
      this.insertEvents('appendWithExecution', instance, executionId, events),
    );
    this.readTx = db.transaction((operation, instance, executionId) => {
      // A real read first pins the snapshot, so `PRAGMA data_version` and the rows agree (see HistoryCache).
      this.latestExecutionStmt.get(instance);
      const result = this.tryReadExecutionCached(instance, executionId, operation);
      if ('error' in result) throw result.error;
      return result.events;
    });
    // The execution lookup is the snapshot-pinning read; no nested transaction (a savepoint) is needed.
    this.readLatestTx = db.transaction((operation, instance) => {
      const result = this.tryReadExecutionCached(instance, this.latestExecutionId(instance), operation);
      if ('error' in result) throw result.error;
      return result.events;
    });
  }

  /** Appends events verbatim in one immediate transaction; a duplicate id fails the whole append. */
  append(instance: string, executionId: number, events: Event[]): void {
    const op = 'appendWithExecution';
    if (typeof instance !== 'string' || instance === '')
      throw invalidInput(op, 'instance must be a non-empty string');
    if (!Number.isSafeInteger(executionId) || executionId < 1) {
      throw invalidInput(op, `executionId must be a positive integer, got ${String(executionId)}`);
    }
    this.appendTx.immediate(instance, executionId, this.encodeEvents(op, events));
  }

  /** The latest execution's events (one read transaction); empty for an unknown instance. */
  readLatest(operation: string, instance: string): Event[] {
    return this.readLatestTx.deferred(operation, instance);
  }

  /** The highest execution id recorded for the instance, or 1. */
  latestExecutionId(instance: string): number {
    return this.latestExecutionStmt.get(instance)?.id ?? 1;
  }

  /** One execution's events in order (through the cache, in one read transaction); a corrupt row throws. */
  readExecution(operation: string, instance: string, executionId: number): Event[] {
    return this.readTx.deferred(operation, instance, executionId);
  }

  /** One execution's events, or the error naming the first row that could not be decoded. */
  tryReadExecution(
    instance: string,
    executionId: number,
    operation = 'read',
  ): { events: Event[] } | { error: ProviderError } {
    return this.decodeRows(instance, executionId, operation, this.selectStmt.all(instance, executionId));
  }

  /**
   * Like `tryReadExecution`, but only events appended since this instance's last read are read and
   * decoded (see `HistoryCache`); the events are frozen and shared between reads. The caller must hold a
   * transaction that already read from the database (the fetch's immediate transaction does).
   */
  tryReadExecutionCached(
    instance: string,
    executionId: number,
    operation: string,
  ): { events: Event[] } | { error: ProviderError } {
    return this.cache.read(
      instance,
      executionId,
      () => this.tryReadExecution(instance, executionId, operation),
      (after) =>
        this.decodeRows(
          instance,
          executionId,
          operation,
          this.selectAfterStmt.all(instance, executionId, after),
        ),
    );
  }

  private decodeRows(
    instance: string,
    executionId: number,
    operation: string,
    rows: HistoryRow[],
  ): { events: Event[] } | { error: ProviderError } {
    const events: Event[] = [];
    for (const row of rows) {
      const name = `(instance '${instance}', execution ${executionId}, event ${row.event_id})`;
      try {
        events.push(decodeEvent(row.event_data, `history row ${name}`));
      } catch (err) {
        return { error: corruptRow(operation, 'history', name, err) };
      }
    }
    return { events };
  }

  /** Validates and serializes events before anything is written; bad or oversized events throw. */
  encodeEvents(operation: string, events: readonly Event[]): EncodedEvent[] {
    if (!Array.isArray(events)) throw invalidInput(operation, 'history events must be an array');
    return events.map((event, index) => {
      const what = `history event #${index}`;
      try {
        validateEvent(event, what);
      } catch (err) {
        throw invalidInput(operation, (err as Error).message);
      }
      if (!Number.isSafeInteger(event.eventId) || event.eventId < 1) {
        throw invalidInput(operation, `${what}: eventId must be a positive integer, got ${event.eventId}`);
      }
      const data = JSON.stringify(event);
      checkPayloadSize(operation, `${what} (event ${event.eventId})`, data, this.ctx.maxPayloadBytes);
      return { eventId: event.eventId, kind: event.kind, data };
    });
  }

  /** Appends encoded events; a duplicate event id throws a permanent error (the caller's transaction rolls back). */
  insertEvents(operation: string, instance: string, executionId: number, events: EncodedEvent[]): void {
    for (const event of events) {
      try {
        this.insertStmt.run(instance, executionId, event.eventId, event.kind, event.data);
      } catch (err) {
        if (sqliteCode(err)?.startsWith('SQLITE_CONSTRAINT')) {
          throw ProviderError.permanent(
            operation,
            `duplicate event id ${event.eventId} for instance '${instance}' execution ${executionId}; history is append-only`,
            err,
          );
        }
        throw err;
      }
    }
  }
}
