import type { Event, KvEntry } from '@duroxide/core';
import type Database from 'better-sqlite3';
import type { StoreContext } from './history-store.js';

interface KvRow {
  key: string;
  value: string;
  last_updated_at_ms: number;
}

/**
 * Instance KV in two tables: `kv_store` holds the merged state of completed executions, `kv_delta` the
 * running execution's writes (NULL value = tombstone). Turns write the delta; a terminal turn merges it.
 */
export class KvStore {
  private readonly upsertDelta: Database.Statement<[string, string, string | null, number]>;
  private readonly tombstoneDelta: Database.Statement<[number, string]>;
  private readonly tombstoneStoreKeys: Database.Statement<[{ now: number; instance: string }]>;
  private readonly mergeSet: Database.Statement<[string]>;
  private readonly mergeDelete: Database.Statement<[string, string]>;
  private readonly clearDelta: Database.Statement<[string]>;
  private readonly snapshotStmt: Database.Statement<[string], KvRow>;
  private readonly getStmt: Database.Statement<[{ instance: string; key: string }], { value: string | null }>;
  private readonly allStmt: Database.Statement<[string, string, string], { key: string; value: string }>;

  constructor(ctx: StoreContext) {
    const { db } = ctx;
    this.upsertDelta = db.prepare(
      `INSERT INTO kv_delta (instance_id, key, value, last_updated_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (instance_id, key) DO UPDATE SET value = excluded.value,
         last_updated_at_ms = excluded.last_updated_at_ms`,
    );
    this.tombstoneDelta = db.prepare(
      'UPDATE kv_delta SET value = NULL, last_updated_at_ms = ? WHERE instance_id = ?',
    );
    this.tombstoneStoreKeys = db.prepare(
      `INSERT INTO kv_delta (instance_id, key, value, last_updated_at_ms)
       SELECT instance_id, key, NULL, @now FROM kv_store WHERE instance_id = @instance AND true
       ON CONFLICT (instance_id, key) DO NOTHING`,
    );
    this.mergeSet = db.prepare(
      `INSERT INTO kv_store (instance_id, key, value, last_updated_at_ms)
       SELECT instance_id, key, value, last_updated_at_ms FROM kv_delta
       WHERE instance_id = ? AND value IS NOT NULL AND true
       ON CONFLICT (instance_id, key) DO UPDATE SET value = excluded.value,
         last_updated_at_ms = excluded.last_updated_at_ms`,
    );
    this.mergeDelete = db.prepare(
      `DELETE FROM kv_store WHERE instance_id = ? AND key IN
         (SELECT key FROM kv_delta WHERE instance_id = ? AND value IS NULL)`,
    );
    this.clearDelta = db.prepare('DELETE FROM kv_delta WHERE instance_id = ?');
    this.snapshotStmt = db.prepare(
      'SELECT key, value, last_updated_at_ms FROM kv_store WHERE instance_id = ? ORDER BY key',
    );
    this.getStmt = db.prepare(
      `SELECT value FROM kv_delta WHERE instance_id = @instance AND key = @key
       UNION ALL
       SELECT value FROM kv_store WHERE instance_id = @instance AND key = @key
         AND NOT EXISTS (SELECT 1 FROM kv_delta WHERE instance_id = @instance AND key = @key)`,
    );
    this.allStmt = db.prepare(
      `SELECT key, value FROM kv_delta WHERE instance_id = ? AND value IS NOT NULL
       UNION ALL
       SELECT s.key, s.value FROM kv_store s WHERE s.instance_id = ?
         AND NOT EXISTS (SELECT 1 FROM kv_delta d WHERE d.instance_id = ? AND d.key = s.key)
       ORDER BY key`,
    );
  }

  /** Records the delta's KV events, in order, in the running execution's overlay. */
  applyEvents(instance: string, events: readonly Event[], now: number): void {
    for (const event of events) {
      if (event.kind === 'KeyValueSet') {
        this.upsertDelta.run(instance, event.key, event.value, event.lastUpdatedAtMs);
      } else if (event.kind === 'KeyValueCleared') {
        this.upsertDelta.run(instance, event.key, null, now);
      } else if (event.kind === 'KeyValuesCleared') {
        this.tombstoneDelta.run(now, instance);
        this.tombstoneStoreKeys.run({ now, instance });
      }
    }
  }

  /** Folds the overlay into the merged store (the execution ended) and empties the overlay. */
  mergeDelta(instance: string): void {
    this.mergeSet.run(instance);
    this.mergeDelete.run(instance, instance);
    this.clearDelta.run(instance);
  }

  /** The merged state of completed executions (what a fetch hands the replay engine). */
  snapshot(instance: string): Record<string, KvEntry> {
    const out: Record<string, KvEntry> = {};
    for (const row of this.snapshotStmt.iterate(instance)) {
      out[row.key] = { value: row.value, lastUpdatedAtMs: row.last_updated_at_ms };
    }
    return out;
  }

  /** The value clients see: the overlay wins (a tombstone hides), else the merged store. */
  getValue(instance: string, key: string): string | null {
    return this.getStmt.get({ instance, key })?.value ?? null;
  }

  /** Every value clients see. */
  getAllValues(instance: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const row of this.allStmt.iterate(instance, instance, instance)) out[row.key] = row.value;
    return out;
  }
}
