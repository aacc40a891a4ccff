import { ProviderError } from '@duroxide/core';
import Database from 'better-sqlite3';
import { toProviderError } from './errors.js';
import type { DatabaseLocation } from './options.js';

/** One schema step; `version` is stored in `PRAGMA user_version` once applied. */
export interface Migration {
  /** The schema version this migration produces. */
  version: number;
  /** What the migration does. */
  description: string;
  /** The DDL, run inside the opening transaction. */
  sql: string;
}

/** Every migration, in order. Append new ones; never edit an applied one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'initial schema: instances, executions, history, both queues, locks, sessions, KV',
    sql: `
      CREATE TABLE instances (
        instance_id TEXT PRIMARY KEY,
        orchestration_name TEXT NOT NULL,
        orchestration_version TEXT,
        current_execution_id INTEGER NOT NULL DEFAULT 1,
        custom_status TEXT,
        custom_status_version INTEGER NOT NULL DEFAULT 0,
        parent_instance_id TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX idx_instances_parent ON instances(parent_instance_id);
      CREATE INDEX idx_instances_created ON instances(created_at);

      CREATE TABLE executions (
        instance_id TEXT NOT NULL,
        execution_id INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'Running',
        output TEXT,
        pinned_major INTEGER,
        pinned_minor INTEGER,
        pinned_patch INTEGER,
        started_at INTEGER NOT NULL,
        completed_at INTEGER,
        PRIMARY KEY (instance_id, execution_id)
      ) WITHOUT ROWID;

      CREATE TABLE history (
        instance_id TEXT NOT NULL,
        execution_id INTEGER NOT NULL,
        event_id INTEGER NOT NULL,
        event_kind TEXT NOT NULL,
        event_data TEXT NOT NULL,
        PRIMARY KEY (instance_id, execution_id, event_id)
      ) WITHOUT ROWID;

      CREATE TABLE orchestrator_queue (
        id INTEGER PRIMARY KEY,
        instance_id TEXT NOT NULL,
        work_item TEXT NOT NULL,
        visible_at INTEGER NOT NULL,
        lock_token TEXT,
        attempt_count INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX idx_orch_visible ON orchestrator_queue(visible_at);
      CREATE INDEX idx_orch_instance ON orchestrator_queue(instance_id, visible_at);
      CREATE INDEX idx_orch_lock ON orchestrator_queue(lock_token) WHERE lock_token IS NOT NULL;

      CREATE TABLE worker_queue (
        id INTEGER PRIMARY KEY,
        work_item TEXT NOT NULL,
        visible_at INTEGER NOT NULL,
        lock_token TEXT,
        locked_until INTEGER,
        attempt_count INTEGER NOT NULL DEFAULT 0,
        instance_id TEXT NOT NULL,
        execution_id INTEGER NOT NULL,
        activity_id INTEGER NOT NULL,
        session_id TEXT,
        tag TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX idx_worker_visible ON worker_queue(visible_at);
      CREATE INDEX idx_worker_identity ON worker_queue(instance_id, execution_id, activity_id);
      CREATE INDEX idx_worker_session ON worker_queue(session_id) WHERE session_id IS NOT NULL;
      CREATE UNIQUE INDEX idx_worker_lock ON worker_queue(lock_token) WHERE lock_token IS NOT NULL;
      CREATE INDEX idx_worker_locked_until ON worker_queue(locked_until) WHERE lock_token IS NOT NULL;

      CREATE TABLE instance_locks (
        instance_id TEXT PRIMARY KEY,
        lock_token TEXT NOT NULL UNIQUE,
        locked_until INTEGER NOT NULL,
        locked_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX idx_instance_locks_until ON instance_locks(locked_until);

      CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        worker_id TEXT NOT NULL,
        locked_until INTEGER NOT NULL,
        last_activity_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX idx_sessions_worker ON sessions(worker_id);

      CREATE TABLE kv_store (
        instance_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        last_updated_at_ms INTEGER NOT NULL,
        PRIMARY KEY (instance_id, key)
      ) WITHOUT ROWID;

      CREATE TABLE kv_delta (
        instance_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT,
        last_updated_at_ms INTEGER NOT NULL,
        PRIMARY KEY (instance_id, key)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description:
      'fewer index pages per write: instance_locks without secondary indexes, parent index only for children',
    // The table only holds live (or crashed, expired) locks, so lookups by token scan a handful of rows,
    // while the two indexes cost two extra WAL pages on each of the two lock writes of every turn. Root
    // instances (most of them) no longer write a NULL entry into the parent index.
    sql: `
      CREATE TABLE instance_locks_v2 (
        instance_id TEXT PRIMARY KEY,
        lock_token TEXT NOT NULL,
        locked_until INTEGER NOT NULL,
        locked_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO instance_locks_v2 (instance_id, lock_token, locked_until, locked_at)
        SELECT instance_id, lock_token, locked_until, locked_at FROM instance_locks;
      DROP TABLE instance_locks;
      ALTER TABLE instance_locks_v2 RENAME TO instance_locks;
      DROP INDEX idx_instances_parent;
      CREATE INDEX idx_instances_parent ON instances(parent_instance_id) WHERE parent_instance_id IS NOT NULL;
    `,
  },
  {
    version: 3,
    description:
      'a fetched batch is bounded by its lock row (instance, ids up to batch_max_id, visible at locked_at)',
    // Tagging each message with the lock token wrote the token index twice per message per turn. The
    // batch is exactly the instance's rows visible at fetch time: ids only grow and visibility never moves
    // earlier while the lock is held, so (id <= batch_max_id AND visible_at <= locked_at) names it. Locks
    // left by an older build keep their batch: its bound is the largest id tagged with their token.
    sql: `
      ALTER TABLE instance_locks ADD COLUMN batch_max_id INTEGER NOT NULL DEFAULT 0;
      UPDATE instance_locks SET batch_max_id = COALESCE(
        (SELECT MAX(q.id) FROM orchestrator_queue q WHERE q.lock_token = instance_locks.lock_token), 0);
      UPDATE orchestrator_queue SET lock_token = NULL WHERE lock_token IS NOT NULL;
      DROP INDEX idx_orch_lock;
    `,
  },
  {
    version: 4,
    description: 'worker lock tokens name their row: no token index on worker_queue',
    // A token is looked up by primary key (its row id) and compared, so the unique token index only cost
    // two index writes per activity (lock and ack). Tokens written by an older build are found by a scan.
    sql: `
      DROP INDEX idx_worker_lock;
    `,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Opens the database, applies connection settings and brings the schema up to date. */
export function openDatabase(location: DatabaseLocation, busyTimeoutMs: number): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(location.kind === 'memory' ? ':memory:' : location.path);
  } catch (err) {
    const where = location.kind === 'memory' ? ':memory:' : location.path;
    throw ProviderError.permanent('open', `cannot open SQLite database '${where}': ${String(err)}`, err);
  }
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    if (location.kind === 'file') {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('wal_autocheckpoint = 10000');
    } else {
      db.pragma('journal_mode = MEMORY');
      db.pragma('synchronous = OFF');
    }
    db.pragma('cache_size = -64000');
    db.pragma('foreign_keys = OFF');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw toProviderError('open', err);
  }
}

/** Applies every migration newer than `PRAGMA user_version`, in one immediate transaction. */
export function migrate(db: Database.Database): void {
  const apply = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw ProviderError.permanent(
        'open',
        `database schema version ${current} is newer than this provider supports (${SCHEMA_VERSION}); upgrade @duroxide/provider-sqlite`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
  });
  apply.immediate();
}
