import { randomUUID } from 'node:crypto';
import {
  type ActivityCompletedItem,
  type ActivityExecuteItem,
  type ActivityFailedItem,
  decodeWorkItem,
  type FetchedWorkItem,
  type ScheduledActivityIdentifier,
  type SessionFetchConfig,
  type TagFilter,
  validateTagFilter,
  validateWorkItem,
} from '@duroxide/core';
import type Database from 'better-sqlite3';
import { checkPayloadSize, corruptRow, invalidInput, invalidLockToken, lockExpired } from './errors.js';
import { inGroupOr } from './group-commit.js';
import type { StoreContext } from './history-store.js';
import { encodeMessage, type OrchestratorQueue } from './orchestrator-queue.js';
import type { SessionStore } from './sessions.js';

/** An activity validated and serialized, ready to insert. */
export interface EncodedActivity {
  /** The item (its identity, session and tag fill indexed columns). */
  item: ActivityExecuteItem;
  /** The JSON text. */
  text: string;
}

interface CandidateRow {
  id: number;
  work_item: string;
  session_id: string | null;
}

interface FetchParams {
  now: number;
  owner?: string;
  tags?: string;
}

/** Validates and serializes an activity; anything but an in-limit `ActivityExecute` is rejected. */
export function encodeActivity(operation: string, item: ActivityExecuteItem, limit: number): EncodedActivity {
  if (typeof item !== 'object' || item === null || item.kind !== 'ActivityExecute') {
    const kind = (item as { kind?: unknown } | null)?.kind;
    throw invalidInput(operation, `the worker queue only takes ActivityExecute items, got ${String(kind)}`);
  }
  try {
    validateWorkItem(item, 'worker item');
  } catch (err) {
    throw invalidInput(operation, (err as Error).message);
  }
  const text = JSON.stringify(item);
  checkPayloadSize(operation, `activity '${item.name}' for instance '${item.instance}'`, text, limit);
  return { item, text };
}

/**
 * A worker lock token names its row (`lock_w<id>_<uuid>`), so every token lookup is a primary-key probe and
 * the table needs no token index (two fewer index writes per activity). Tokens of an older build (no row
 * id) are still honoured through a scan.
 */
export function newWorkerLockToken(id: number): string {
  return `lock_w${id}_${randomUUID()}`;
}

/** The row id a worker lock token names, or null for a token without one. */
function tokenRowId(token: string): number | null {
  const match = /^lock_w(\d+)_/.exec(token);
  return match ? Number(match[1]) : null;
}

/** A statement keyed by lock token, prepared both as a row-id probe and as the legacy token scan. */
class ByToken<R> {
  private readonly probe: Database.Statement<[TokenParams & Record<string, unknown>], R>;
  private readonly scan: Database.Statement<[TokenParams & Record<string, unknown>], R>;

  constructor(db: Database.Database, sql: (where: string) => string) {
    this.probe = db.prepare(sql('id = @id AND lock_token = @token'));
    this.scan = db.prepare(sql('lock_token = @token'));
  }

  /** The statement for this token, with its parameters. */
  bind(
    token: string,
    extra: Record<string, unknown> = {},
  ): {
    stmt: Database.Statement<[TokenParams & Record<string, unknown>], R>;
    params: TokenParams & Record<string, unknown>;
  } {
    const id = tokenRowId(token);
    return { stmt: id === null ? this.scan : this.probe, params: { ...extra, token, id } };
  }
}

interface TokenParams {
  token: string;
  id: number | null;
}

function tagClause(filter: TagFilter): string {
  if (filter === 'defaultOnly') return 'w.tag IS NULL';
  if (filter === 'any') return '1';
  if (filter === 'none') return '0';
  if ('tags' in filter) return 'w.tag IN (SELECT value FROM json_each(@tags))';
  return '(w.tag IS NULL OR w.tag IN (SELECT value FROM json_each(@tags)))';
}

/** The worker queue: one activity per fetch, peek-locked, with session affinity and tag routing. */
export class WorkerQueue {
  private readonly fetchStmts = new Map<string, Database.Statement<[FetchParams], CandidateRow>>();
  private readonly insertStmt: Database.Statement<
    [string, number, string, number, number, string | null, string | null, number]
  >;
  private readonly lockStmt: Database.Statement<[string, number, number], { attempt_count: number }>;
  private readonly ackStmt: ByToken<{ session_id: string | null }>;
  private readonly byTokenStmt: ByToken<{ locked_until: number | null }>;
  private readonly renewStmt: ByToken<{ session_id: string | null }>;
  private readonly abandonStmt: ByToken<unknown>;
  private readonly cancelStmt: Database.Statement<[string, number, number]>;
  private readonly nextWakeStmt: Database.Statement<[{ now: number }], { t: number | null }>;
  private readonly fetchTx: Database.Transaction<
    (lockTimeoutMs: number, session: SessionFetchConfig | null, filter: TagFilter) => FetchedWorkItem | null
  >;
  private readonly renewTx: Database.Transaction<(token: string, extendForMs: number) => void>;
  private readonly ackTx: Database.Transaction<
    (token: string, completion: ReturnType<typeof encodeMessage> | null) => void
  >;

  constructor(
    private readonly ctx: StoreContext,
    private readonly sessions: SessionStore,
    private readonly orchestratorQueue: OrchestratorQueue,
  ) {
    const { db } = ctx;
    this.insertStmt = db.prepare(
      `INSERT INTO worker_queue (work_item, visible_at, attempt_count, instance_id, execution_id, activity_id,
         session_id, tag, created_at) VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?)`,
    );
    this.lockStmt = db.prepare(
      `UPDATE worker_queue SET lock_token = ?, locked_until = ?, attempt_count = attempt_count + 1
       WHERE id = ? RETURNING attempt_count`,
    );
    this.ackStmt = new ByToken(
      db,
      (where) => `DELETE FROM worker_queue WHERE ${where} AND locked_until > @now RETURNING session_id`,
    );
    this.byTokenStmt = new ByToken(db, (where) => `SELECT locked_until FROM worker_queue WHERE ${where}`);
    this.renewStmt = new ByToken(
      db,
      (where) => `UPDATE worker_queue SET locked_until = @until WHERE ${where} AND locked_until > @now
       RETURNING session_id`,
    );
    this.abandonStmt = new ByToken(
      db,
      (where) => `UPDATE worker_queue SET lock_token = NULL, locked_until = NULL, visible_at = @visibleAt,
         attempt_count = CASE WHEN @ignore = 1 THEN MAX(0, attempt_count - 1) ELSE attempt_count END
       WHERE ${where}`,
    );
    this.cancelStmt = db.prepare(
      'DELETE FROM worker_queue WHERE instance_id = ? AND execution_id = ? AND activity_id = ?',
    );
    this.nextWakeStmt = db.prepare(
      `SELECT MIN(t) AS t FROM (
         SELECT MIN(visible_at) AS t FROM worker_queue WHERE visible_at > @now
         UNION ALL
         SELECT MIN(locked_until) AS t FROM worker_queue WHERE lock_token IS NOT NULL AND locked_until > @now
         UNION ALL
         SELECT MIN(s.locked_until) AS t FROM sessions s WHERE s.locked_until > @now
           AND EXISTS (SELECT 1 FROM worker_queue w WHERE w.session_id = s.session_id))`,
    );
    this.fetchTx = db.transaction((lockTimeoutMs, session, filter) =>
      this.fetchInTransaction(lockTimeoutMs, session, filter),
    );
    this.ackTx = db.transaction((token, completion) => this.ackInTransaction(token, completion));
    this.renewTx = db.transaction((token, extendForMs) => this.renewInTransaction(token, extendForMs));
  }

  /** Inserts an encoded activity, visible now. */
  insert(encoded: EncodedActivity, now: number): void {
    const { item, text } = encoded;
    this.insertStmt.run(
      text,
      now,
      item.instance,
      item.executionId,
      item.id,
      item.sessionId ?? null,
      item.tag ?? null,
      now,
    );
  }

  /** Deletes the queued row of a scheduled activity (a no-op when it is gone). */
  cancel(id: ScheduledActivityIdentifier): void {
    this.cancelStmt.run(id.instance, id.executionId, id.activityId);
  }

  /** Locks the oldest eligible activity in one immediate transaction; null when none. */
  fetch(
    lockTimeoutMs: number,
    session: SessionFetchConfig | null,
    filter: TagFilter,
  ): FetchedWorkItem | null {
    try {
      validateTagFilter(filter, 'tagFilter');
    } catch (err) {
      throw invalidInput('fetchWorkItem', (err as Error).message);
    }
    if (filter === 'none') return null;
    if (session !== null) {
      if (typeof session !== 'object' || typeof session.ownerId !== 'string' || session.ownerId === '') {
        throw invalidInput('fetchWorkItem', 'session.ownerId must be a non-empty string');
      }
      if (!Number.isFinite(session.lockTimeoutMs) || session.lockTimeoutMs <= 0) {
        throw invalidInput(
          'fetchWorkItem',
          `session.lockTimeoutMs must be positive, got ${session.lockTimeoutMs}`,
        );
      }
    }
    const inside = (l: number, s: SessionFetchConfig | null, f: TagFilter) =>
      this.fetchInTransaction(l, s, f);
    return inGroupOr(this.ctx.db, this.fetchTx, inside, lockTimeoutMs, session, filter);
  }

  private fetchInTransaction(
    lockTimeoutMs: number,
    session: SessionFetchConfig | null,
    filter: TagFilter,
  ): FetchedWorkItem | null {
    const now = this.ctx.clock.now();
    const params: FetchParams = { now };
    if (session) params.owner = session.ownerId;
    if (typeof filter === 'object')
      params.tags = JSON.stringify('tags' in filter ? filter.tags : filter.defaultAnd);
    const row = this.fetchStatement(filter, session !== null).get(params);
    if (!row) return null;
    let item: ActivityExecuteItem;
    try {
      const decoded = decodeWorkItem(row.work_item, `worker_queue row ${row.id}`);
      if (decoded.kind !== 'ActivityExecute')
        throw new Error(`expected ActivityExecute, got ${decoded.kind}`);
      item = decoded;
    } catch (err) {
      throw corruptRow('fetchWorkItem', 'worker_queue', String(row.id), err);
    }
    if (row.session_id !== null && session) {
      const until = now + session.lockTimeoutMs;
      if (!this.sessions.claim(row.session_id, session.ownerId, until, now)) return null;
    }
    const token = newWorkerLockToken(row.id);
    const locked = this.lockStmt.get(token, now + lockTimeoutMs, row.id);
    return { item, lockToken: token, attemptCount: locked?.attempt_count ?? 1 };
  }

  private fetchStatement(
    filter: TagFilter,
    withSession: boolean,
  ): Database.Statement<[FetchParams], CandidateRow> {
    const tag = tagClause(filter);
    const key = `${tag}|${withSession}`;
    let stmt = this.fetchStmts.get(key);
    if (!stmt) {
      const sessionSql = withSession
        ? `(w.session_id IS NULL OR NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = w.session_id
             AND s.locked_until > @now AND s.worker_id <> @owner))`
        : 'w.session_id IS NULL';
      stmt = this.ctx.db.prepare(
        `SELECT w.id, w.work_item, w.session_id FROM worker_queue w
         WHERE w.visible_at <= @now AND (w.lock_token IS NULL OR w.locked_until <= @now)
           AND ${tag} AND ${sessionSql}
         ORDER BY w.visible_at, w.id LIMIT 1`,
      );
      this.fetchStmts.set(key, stmt);
    }
    return stmt;
  }

  /** Deletes the locked row and enqueues the completion, atomically; returns the routed instance, if any. */
  ack(token: string, completion: ActivityCompletedItem | ActivityFailedItem | null): string | null {
    let encoded: ReturnType<typeof encodeMessage> | null = null;
    if (completion !== null) {
      const kind = (completion as { kind?: unknown } | undefined)?.kind;
      if (kind !== 'ActivityCompleted' && kind !== 'ActivityFailed') {
        throw invalidInput(
          'ackWorkItem',
          `a completion must be ActivityCompleted or ActivityFailed, got ${String(kind)}`,
        );
      }
      encoded = encodeMessage('ackWorkItem', completion, this.ctx.maxPayloadBytes);
    }
    inGroupOr(this.ctx.db, this.ackTx, (t, c) => this.ackInTransaction(t, c), token, encoded);
    return encoded?.instance ?? null;
  }

  private ackInTransaction(token: string, completion: ReturnType<typeof encodeMessage> | null): void {
    const now = this.ctx.clock.now();
    const { stmt, params } = this.ackStmt.bind(token, { now });
    const deleted = stmt.get(params);
    if (!deleted) throw this.lostLock('ackWorkItem', token, now);
    if (completion) this.orchestratorQueue.insert(completion, now, null);
    if (deleted.session_id !== null) this.sessions.touch(deleted.session_id, now);
  }

  /** Extends an unexpired activity lock and heartbeats its session, in one transaction; fails when the row is gone. */
  renew(token: string, extendForMs: number): void {
    this.renewTx.immediate(token, extendForMs);
  }

  private renewInTransaction(token: string, extendForMs: number): void {
    const now = this.ctx.clock.now();
    const { stmt, params } = this.renewStmt.bind(token, { until: now + extendForMs, now });
    const renewed = stmt.get(params);
    if (!renewed) throw this.lostLock('renewWorkItemLock', token, now);
    if (renewed.session_id !== null) this.sessions.touch(renewed.session_id, now);
  }

  /** Releases an activity lock, optionally delaying and un-counting it. */
  abandon(token: string, delayMs: number, ignoreAttempt: boolean): void {
    const now = this.ctx.clock.now();
    const { stmt, params } = this.abandonStmt.bind(token, {
      visibleAt: now + delayMs,
      ignore: ignoreAttempt ? 1 : 0,
    });
    const changed = stmt.run(params);
    if (changed.changes === 0) throw invalidLockToken('abandonWorkItem', token);
  }

  /** The earliest time after `since` at which an activity becomes visible or a lock or session lease expires. */
  nextWake(since: number): number | null {
    return this.nextWakeStmt.get({ now: since })?.t ?? null;
  }

  private lostLock(operation: string, token: string, now: number): Error {
    const { stmt, params } = this.byTokenStmt.bind(token);
    const row = stmt.get(params);
    if (row) return lockExpired(operation, 'Activity', token, row.locked_until ?? 0, now);
    return invalidLockToken(operation, token);
  }
}
