import { type ActivityExecuteItem, ProviderError } from '@duroxide/core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/group-commit.js';
import { SqliteProvider, sqliteTestHooks } from '../src/index.js';
import { start, tempDir } from './helpers.js';

const dir = tempDir('group-commit');
afterAll(() => dir.cleanup());

const activity = (instance: string): ActivityExecuteItem => ({
  kind: 'ActivityExecute',
  instance,
  executionId: 1,
  id: 1,
  name: 'A',
  input: '{}',
});

function table(db: Database.Database): void {
  db.exec('CREATE TABLE t (v TEXT)');
}

describe('GroupCommit', () => {
  it('writes submitted in one tick share one transaction: no other connection sees them before the commit', async () => {
    const file = dir.path('shared.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    table(db);
    const other = new Database(file);
    const group = new GroupCommit(db, () => true);
    const seenByOther: unknown[] = [];
    try {
      const first = group.submit(
        () => db.prepare("INSERT INTO t VALUES ('a')").run().changes,
        (e) => e,
      );
      const second = group.submit(
        () => {
          db.prepare("INSERT INTO t VALUES ('b')").run();
          seenByOther.push(other.prepare('SELECT COUNT(*) AS n FROM t').get());
          return db.inTransaction;
        },
        (e) => e,
      );
      expect(await first).toBe(1);
      expect(await second).toBe(true);
      expect(seenByOther).toEqual([{ n: 0 }]);
      expect(other.prepare('SELECT v FROM t ORDER BY v').all()).toEqual([{ v: 'a' }, { v: 'b' }]);
    } finally {
      other.close();
      db.close();
    }
  });

  it('a write submitted after microtask hops in the same event-loop turn still joins the group', async () => {
    const file = dir.path('hops.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    table(db);
    const other = new Database(file);
    const group = new GroupCommit(db, () => true);
    try {
      const first = group.submit(
        () => db.prepare("INSERT INTO t VALUES ('a')").run().changes,
        (e) => e,
      );
      // A dispatcher slot resumes several awaits deep before it submits its next write.
      for (let i = 0; i < 5; i++) await Promise.resolve();
      const second = group.submit(
        () => ({
          mine: db.prepare('SELECT COUNT(*) AS n FROM t').get(),
          other: other.prepare('SELECT COUNT(*) AS n FROM t').get(),
        }),
        (e) => e,
      );
      expect(await first).toBe(1);
      // Same transaction: the second write sees the first, another connection does not yet.
      expect(await second).toEqual({ mine: { n: 1 }, other: { n: 0 } });
    } finally {
      other.close();
      db.close();
    }
  });

  it('a failing write rolls back alone; the others in its group commit', async () => {
    const db = new Database(':memory:');
    table(db);
    const group = new GroupCommit(db, () => true);
    const insert = (v: string) => db.prepare('INSERT INTO t VALUES (?)').run(v);
    const results = await Promise.allSettled([
      group.submit(
        () => insert('a'),
        (e) => e,
      ),
      group.submit(
        () => {
          insert('b');
          throw new Error('write b failed');
        },
        (e) => e,
      ),
      group.submit(
        () => insert('c'),
        (e) => e,
      ),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as Error).message).toBe('write b failed');
    expect(db.prepare('SELECT v FROM t ORDER BY v').all()).toEqual([{ v: 'a' }, { v: 'c' }]);
    db.close();
  });

  it('a group that cannot begin fails every write with the mapped error', async () => {
    const db = new Database(':memory:');
    table(db);
    const group = new GroupCommit(db, () => false);
    const results = await Promise.allSettled([
      group.submit(
        () => 1,
        () => new Error('mapped 1'),
      ),
      group.submit(
        () => 2,
        () => new Error('mapped 2'),
      ),
    ]);
    expect(results.map((r) => (r as PromiseRejectedResult).reason.message)).toEqual(['mapped 1', 'mapped 2']);
    db.close();
  });
});

describe('group commit through the provider', () => {
  it('concurrent enqueues and acks each commit exactly their own effects', async () => {
    const p = await SqliteProvider.inMemory();
    try {
      await Promise.all([
        p.enqueueForOrchestrator(start('g1')),
        p.enqueueForOrchestrator(start('g2')),
        p.enqueueForWorker(activity('g3')),
      ]);
      const work = await p.fetchWorkItem(30_000, 0, null, 'defaultOnly');
      expect(work).not.toBeNull();
      // A bad completion fails alone; the enqueue beside it commits.
      const results = await Promise.allSettled([
        p.ackWorkItem(work!.lockToken, { kind: 'Bogus' } as never),
        p.enqueueForOrchestrator(start('g4')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
      expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(ProviderError);
      const db = sqliteTestHooks.database(p);
      expect(db.prepare('SELECT instance_id FROM orchestrator_queue ORDER BY instance_id').all()).toEqual([
        { instance_id: 'g1' },
        { instance_id: 'g2' },
        { instance_id: 'g4' },
      ]);
      expect(db.prepare('SELECT COUNT(*) AS n FROM worker_queue').get()).toEqual({ n: 1 });
    } finally {
      await p.close();
    }
  });

  it('a fetch issued in the same turn as an enqueue shares its commit and finds the item at once', async () => {
    const p = await SqliteProvider.inMemory();
    try {
      const enqueued = p.enqueueForWorker(activity('same-turn'));
      // No poll wait: the fetch's attempt runs in the group right after the enqueue's savepoint.
      const fetched = p.fetchWorkItem(30_000, 0, null, 'defaultOnly');
      await enqueued;
      const item = await fetched;
      expect(item?.item).toMatchObject({ kind: 'ActivityExecute', instance: 'same-turn' });
    } finally {
      await p.close();
    }
  });

  it('a write submitted just before close() rejects as closed instead of running on a closed database', async () => {
    const p = await SqliteProvider.inMemory();
    const pending = p.enqueueForOrchestrator(start('late'));
    await p.close();
    await expect(pending).rejects.toThrow(/closed/);
  });
});
