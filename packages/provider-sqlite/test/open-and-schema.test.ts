import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigurationError, ProviderError } from '@duroxide/core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, parseLocation, SCHEMA_VERSION, SqliteProvider, sqliteTestHooks } from '../src/index.js';
import { start, tempDir } from './helpers.js';

const dir = tempDir('open');
afterAll(() => dir.cleanup());

describe('parseLocation', () => {
  it('accepts sqlite URLs, :memory: and bare paths', () => {
    expect(parseLocation('sqlite::memory:')).toEqual({ kind: 'memory' });
    expect(parseLocation(':memory:')).toEqual({ kind: 'memory' });
    expect(parseLocation('sqlite:./a/b.db')).toEqual({ kind: 'file', path: resolve('a/b.db') });
    expect(parseLocation('sqlite:///abs/x.db')).toEqual({ kind: 'file', path: '/abs/x.db' });
    expect(parseLocation('sqlite://rel.db?mode=rwc')).toEqual({ kind: 'file', path: resolve('rel.db') });
    expect(parseLocation('/tmp/plain.db')).toEqual({ kind: 'file', path: '/tmp/plain.db' });
  });

  it('rejects empty locations with a ConfigurationError', () => {
    expect(() => parseLocation('')).toThrow(ConfigurationError);
    expect(() => parseLocation('sqlite:')).toThrow(/names no database file/);
  });
});

describe('options', () => {
  it('names the bad option', async () => {
    await expect(SqliteProvider.inMemory({ maxPayloadBytes: 0 })).rejects.toThrow(/options\.maxPayloadBytes/);
    await expect(SqliteProvider.inMemory({ busyTimeoutMs: -5 })).rejects.toThrow(/options\.busyTimeoutMs/);
    await expect(SqliteProvider.inMemory({ clock: {} as never })).rejects.toThrow(/options\.clock/);
    await expect(SqliteProvider.open(dir.path('x.db'), { maxPayloadBytes: 1.5 })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
  });

  it('fails clearly when the directory does not exist', async () => {
    await expect(SqliteProvider.open(dir.path('missing/dir/x.db'))).rejects.toThrow(
      /cannot open SQLite database/,
    );
  });
});

describe('schema', () => {
  it('creates the file in WAL mode at the current schema version, and keeps data across reopen', async () => {
    const file = dir.path('fresh.db');
    const p = await SqliteProvider.open(`sqlite:${file}`);
    expect(existsSync(file)).toBe(true);
    const db = sqliteTestHooks.database(p);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.at(-1)!.version);
    await p.enqueueForOrchestrator(start('kept'));
    await p.close();
    const again = await SqliteProvider.open(file);
    try {
      expect((await again.fetchOrchestrationItem(1000, 0))?.item.instance).toBe('kept');
    } finally {
      await again.close();
    }
  });

  it('refuses a database written by a newer schema', async () => {
    const file = dir.path('newer.db');
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const err = await SqliteProvider.open(file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).message).toMatch(/schema version \d+ is newer than this provider supports/);
  });

  it('migrates a version 1 file: instance_locks keeps its rows and loses its secondary indexes', async () => {
    const file = dir.path('v1.db');
    const raw = new Database(file);
    raw.exec(MIGRATIONS[0]!.sql);
    raw.pragma('user_version = 1');
    raw
      .prepare(
        'INSERT INTO instance_locks (instance_id, lock_token, locked_until, locked_at) VALUES (?, ?, ?, ?)',
      )
      .run('held', 'lock_old', 9_999_999_999_999, 1);
    raw.close();
    const p = await SqliteProvider.open(file);
    try {
      const db = sqliteTestHooks.database(p);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.prepare('SELECT instance_id, lock_token FROM instance_locks').all()).toEqual([
        { instance_id: 'held', lock_token: 'lock_old' },
      ]);
      // Only the primary key: a lock write touches one page instead of three.
      expect(db.prepare(`SELECT name FROM pragma_index_list('instance_locks')`).all()).toEqual([
        { name: 'sqlite_autoindex_instance_locks_1' },
      ]);
      // The migrated lock still excludes its instance from fetches, and its token still renews.
      await p.enqueueForOrchestrator(start('held'));
      expect(await p.fetchOrchestrationItem(1000, 0)).toBeNull();
      await expect(p.renewOrchestrationItemLock('lock_old', 1000)).resolves.toBeUndefined();
    } finally {
      await p.close();
    }
  });

  it('migrates a version 2 file: a lock taken by the old build keeps exactly its tagged batch', async () => {
    const file = dir.path('v2.db');
    const raw = new Database(file);
    raw.exec(MIGRATIONS[0]!.sql);
    raw.exec(MIGRATIONS[1]!.sql);
    raw.pragma('user_version = 2');
    const insert = raw.prepare(
      `INSERT INTO orchestrator_queue (instance_id, work_item, visible_at, lock_token, attempt_count, created_at)
       VALUES (?, ?, ?, ?, ?, 1)`,
    );
    const message = (instance: string) => JSON.stringify(start(instance));
    // The old build fetched 'held' at t=5: rows 1-2 are its tagged batch; row 3 arrived during the turn.
    insert.run('held', message('held'), 1, 'lock_old', 1);
    insert.run('held', message('held'), 2, 'lock_old', 1);
    insert.run('held', message('held'), 6, null, 0);
    raw
      .prepare(
        'INSERT INTO instance_locks (instance_id, lock_token, locked_until, locked_at) VALUES (?, ?, ?, ?)',
      )
      .run('held', 'lock_old', 9_999_999_999_999, 5);
    raw.close();
    const p = await SqliteProvider.open(file);
    try {
      const db = sqliteTestHooks.database(p);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.prepare('SELECT batch_max_id FROM instance_locks').get()).toEqual({ batch_max_id: 2 });
      await p.abandonOrchestrationItem('lock_old', { ignoreAttempt: true });
      // Un-counting touched only the old batch; the message that arrived later was never delivered.
      expect(
        db.prepare('SELECT id, attempt_count, lock_token FROM orchestrator_queue ORDER BY id').all(),
      ).toEqual([
        { id: 1, attempt_count: 0, lock_token: null },
        { id: 2, attempt_count: 0, lock_token: null },
        { id: 3, attempt_count: 0, lock_token: null },
      ]);
    } finally {
      await p.close();
    }
  });

  it('migrates a version 3 file: an activity locked by the old build still acks by its token', async () => {
    const file = dir.path('v3.db');
    const raw = new Database(file);
    for (const migration of MIGRATIONS.slice(0, 3)) raw.exec(migration.sql);
    raw.pragma('user_version = 3');
    raw
      .prepare(
        `INSERT INTO worker_queue (work_item, visible_at, lock_token, locked_until, attempt_count, instance_id,
           execution_id, activity_id, created_at) VALUES (?, 1, 'lock_old', 9999999999999, 1, 'i', 1, 1, 1)`,
      )
      .run(
        JSON.stringify({
          kind: 'ActivityExecute',
          instance: 'i',
          executionId: 1,
          id: 1,
          name: 'A',
          input: '',
        }),
      );
    raw.close();
    const p = await SqliteProvider.open(file);
    try {
      const db = sqliteTestHooks.database(p);
      expect(db.prepare(`SELECT name FROM pragma_index_list('worker_queue')`).all()).not.toContainEqual({
        name: 'idx_worker_lock',
      });
      await expect(p.renewWorkItemLock('lock_old', 1000)).resolves.toBeUndefined();
      await p.ackWorkItem('lock_old', null);
      expect(db.prepare('SELECT COUNT(*) AS n FROM worker_queue').get()).toEqual({ n: 0 });
      // New tokens name their row; a forged token for the same row is still refused.
      await p.enqueueForWorker({
        kind: 'ActivityExecute',
        instance: 'i',
        executionId: 1,
        id: 2,
        name: 'A',
        input: '',
      });
      const fetched = await p.fetchWorkItem(1000, 0, null, 'defaultOnly');
      expect(fetched?.lockToken).toMatch(/^lock_w\d+_/);
      const forged = fetched!.lockToken.replace(/_[^_]+$/, '_forged');
      await expect(p.ackWorkItem(forged, null)).rejects.toThrow(/Invalid lock token/);
      await p.ackWorkItem(fetched!.lockToken, null);
    } finally {
      await p.close();
    }
  });

  it('creates the indexes the hot queries use', async () => {
    const p = await SqliteProvider.inMemory();
    try {
      const db = sqliteTestHooks.database(p);
      const plan = (sql: string) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
          .map((r) => r.detail)
          .join(' | ');
      expect(
        plan(`SELECT * FROM worker_queue WHERE instance_id='a' AND execution_id=1 AND activity_id=2`),
      ).toMatch(/idx_worker_identity/);
      expect(plan(`SELECT * FROM orchestrator_queue WHERE instance_id='a' AND visible_at <= 5`)).toMatch(
        /idx_orch_instance/,
      );
      // Since v3 a batch is named by its lock row's bounds, so no message carries an indexed token.
      expect(db.prepare(`SELECT name FROM pragma_index_list('orchestrator_queue')`).all()).not.toContainEqual(
        {
          name: 'idx_orch_lock',
        },
      );
      expect(
        plan(`SELECT * FROM orchestrator_queue WHERE instance_id='a' AND id <= 9 AND visible_at <= 5`),
      ).toMatch(/idx_orch_instance/);
      expect(plan(`SELECT * FROM instances WHERE parent_instance_id = 'p'`)).toMatch(/idx_instances_parent/);
    } finally {
      await p.close();
    }
  });
});

describe('contention', () => {
  it('a write blocked by another connection past the busy timeout is a retryable ProviderError', async () => {
    const file = dir.path('busy.db');
    const p = await SqliteProvider.open(file, { busyTimeoutMs: 50 });
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      const err = await p.enqueueForOrchestrator(start('blocked')).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).retryable).toBe(true);
      expect((err as ProviderError).message).toMatch(/SQLITE_BUSY/);
      other.exec('ROLLBACK');
      await p.enqueueForOrchestrator(start('unblocked'));
      expect((await p.fetchOrchestrationItem(1000, 0))?.item.instance).toBe('unblocked');
    } finally {
      other.close();
      await p.close();
    }
  });
});
