import { type OrchestratorItem, validateWorkItem, workItemInstance } from '@duroxide/core';
import type Database from 'better-sqlite3';
import { checkPayloadSize, invalidInput, invalidLockToken, lockExpired } from './errors.js';
import type { StoreContext } from './history-store.js';

/** An orchestrator message validated and serialized, ready to insert. */
export interface EncodedMessage {
  /** The routing instance (the parent for sub-orchestration results). */
  instance: string;
  /** The JSON text. */
  text: string;
  /** `fireAtMs` for a `TimerFired`, else null. */
  fireAtMs: number | null;
}

/** A queued message row. */
export interface MessageRow {
  id: number;
  work_item: string;
  attempt_count: number;
}

/** An instance lock row. */
export interface LockRow {
  instance_id: string;
  locked_until: number;
  /** The largest message id of the locked batch. */
  batch_max_id: number;
  /** When the lock was taken: the batch is the messages visible then. */
  locked_at: number;
}

/** Validates and serializes an orchestrator message; ActivityExecute and oversized items are rejected. */
export function encodeMessage(operation: string, item: OrchestratorItem, limit: number): EncodedMessage {
  if (typeof item === 'object' && item !== null && (item as { kind?: unknown }).kind === 'ActivityExecute') {
    throw invalidInput(
      operation,
      'ActivityExecute belongs in the worker queue (use enqueueForWorker), not the orchestrator queue',
    );
  }
  try {
    validateWorkItem(item, 'orchestrator message');
  } catch (err) {
    throw invalidInput(operation, (err as Error).message);
  }
  const instance = workItemInstance(item);
  const text = JSON.stringify(item);
  checkPayloadSize(operation, `${item.kind} message for instance '${instance}'`, text, limit);
  return { instance, text, fireAtMs: item.kind === 'TimerFired' ? item.fireAtMs : null };
}

/**
 * The messages of the batch locked with token `?`: the lock's instance, ids up to its bound, visible when it
 * was taken. Ids only grow and a held batch's visibility never moves, so this is exactly the fetched set.
 */
const BATCH_OF_TOKEN = `rowid IN (SELECT q.id FROM instance_locks l JOIN orchestrator_queue q
    ON q.instance_id = l.instance_id AND q.id <= l.batch_max_id AND q.visible_at <= l.locked_at
  WHERE l.lock_token = ?)`;

/** The orchestrator queue (per-instance inbox, timers by delayed visibility) and the instance locks. */
export class OrchestratorQueue {
  private readonly insertStmt: Database.Statement<[string, string, number, number]>;
  private readonly visibleStmt: Database.Statement<[string, number], MessageRow>;
  private readonly hasVisibleStmt: Database.Statement<[string, number], { one: number }>;
  private readonly countStmt: Database.Statement<[string, number, number]>;
  private readonly deleteIdStmt: Database.Statement<[number]>;
  private readonly lockStmt: Database.Statement<[string, string, number, number, number]>;
  private readonly lockByTokenStmt: Database.Statement<[string], LockRow>;
  private readonly deleteLockStmt: Database.Statement<[string]>;
  private readonly renewStmt: Database.Statement<[number, string, number]>;
  private readonly delayStmt: Database.Statement<[number, string, number]>;
  private readonly uncountStmt: Database.Statement<[string]>;
  private readonly deleteHeldBatchStmt: Database.Statement<[string, number, number]>;
  private readonly deleteHeldLockStmt: Database.Statement<[string]>;
  private readonly nextWakeStmt: Database.Statement<[{ now: number }], { t: number | null }>;
  private readonly abandonTx: Database.Transaction<
    (token: string, delayMs: number, ignore: boolean) => string
  >;

  constructor(private readonly ctx: StoreContext) {
    const { db } = ctx;
    this.insertStmt = db.prepare(
      `INSERT INTO orchestrator_queue (instance_id, work_item, visible_at, created_at, attempt_count)
       VALUES (?, ?, ?, ?, 0)`,
    );
    this.visibleStmt = db.prepare(
      `SELECT id, work_item, attempt_count FROM orchestrator_queue
       WHERE instance_id = ? AND visible_at <= ? ORDER BY id`,
    );
    this.hasVisibleStmt = db.prepare(
      'SELECT 1 AS one FROM orchestrator_queue WHERE instance_id = ? AND visible_at <= ? LIMIT 1',
    );
    // Only attempt_count changes: it is in no index, so counting a delivery touches table pages only.
    this.countStmt = db.prepare(
      `UPDATE orchestrator_queue SET attempt_count = attempt_count + 1
       WHERE instance_id = ? AND id <= ? AND visible_at <= ?`,
    );
    this.deleteIdStmt = db.prepare('DELETE FROM orchestrator_queue WHERE id = ?');
    this.lockStmt = db.prepare(
      `INSERT INTO instance_locks (instance_id, lock_token, locked_until, locked_at, batch_max_id)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (instance_id) DO UPDATE SET lock_token = excluded.lock_token,
         locked_until = excluded.locked_until, locked_at = excluded.locked_at,
         batch_max_id = excluded.batch_max_id
       WHERE instance_locks.locked_until <= excluded.locked_at`,
    );
    this.lockByTokenStmt = db.prepare(
      'SELECT instance_id, locked_until, batch_max_id, locked_at FROM instance_locks WHERE lock_token = ?',
    );
    this.deleteLockStmt = db.prepare('DELETE FROM instance_locks WHERE lock_token = ?');
    this.renewStmt = db.prepare(
      'UPDATE instance_locks SET locked_until = ? WHERE lock_token = ? AND locked_until > ?',
    );
    this.delayStmt = db.prepare(
      'UPDATE orchestrator_queue SET visible_at = ? WHERE instance_id = ? AND visible_at <= ?',
    );
    this.uncountStmt = db.prepare(
      `UPDATE orchestrator_queue SET attempt_count = MAX(0, attempt_count - 1) WHERE ${BATCH_OF_TOKEN}`,
    );
    // With the lock row already read (an ack), both deletes go by key instead of by token.
    this.deleteHeldBatchStmt = db.prepare(
      'DELETE FROM orchestrator_queue WHERE instance_id = ? AND id <= ? AND visible_at <= ?',
    );
    this.deleteHeldLockStmt = db.prepare('DELETE FROM instance_locks WHERE instance_id = ?');
    this.nextWakeStmt = db.prepare(
      `SELECT MIN(t) AS t FROM (
         SELECT MIN(visible_at) AS t FROM orchestrator_queue WHERE visible_at > @now
         UNION ALL
         SELECT MIN(l.locked_until) AS t FROM instance_locks l WHERE l.locked_until > @now
           AND EXISTS (SELECT 1 FROM orchestrator_queue q WHERE q.instance_id = l.instance_id))`,
    );
    this.abandonTx = db.transaction((token, delayMs, ignore) => {
      const now = this.ctx.clock.now();
      const lock = this.lockByToken(token);
      if (!lock) throw invalidLockToken('abandonOrchestrationItem', token);
      if (ignore) this.uncountStmt.run(token);
      if (delayMs > 0) this.delayStmt.run(now + delayMs, lock.instance_id, now);
      this.deleteLockStmt.run(token);
      return lock.instance_id;
    });
  }

  /**
   * Releases a lock without committing (expiry is not checked): the batch is unbound with it; optionally
   * un-counts it and hides the instance's visible messages for `delayMs`; returns the instance.
   */
  abandon(token: string, delayMs: number, ignoreAttempt: boolean): string {
    return this.abandonTx.immediate(token, delayMs, ignoreAttempt);
  }

  /** Extends an unexpired instance lock; an expired or unknown token fails permanently. */
  renew(token: string, extendForMs: number): void {
    const now = this.ctx.clock.now();
    if (this.renewStmt.run(now + extendForMs, token, now).changes === 1) return;
    const lock = this.lockByToken(token);
    if (lock) throw lockExpired('renewOrchestrationItemLock', 'Instance', token, lock.locked_until, now);
    throw invalidLockToken('renewOrchestrationItemLock', token);
  }

  /**
   * Inserts a message. Inside an ack a `TimerFired` becomes visible at its `fireAtMs`; on the enqueue path
   * (`delayMs` given) a timer is never visible before its fire time either. Returns the visibility time.
   */
  insert(message: EncodedMessage, now: number, delayMs: number | null): number {
    let visibleAt = delayMs === null ? now : now + delayMs;
    if (message.fireAtMs !== null) {
      visibleAt = delayMs === null ? message.fireAtMs : Math.max(message.fireAtMs, visibleAt);
    }
    this.insertStmt.run(message.instance, message.text, visibleAt, now);
    return visibleAt;
  }

  /** Whether the instance has messages visible at `now` (after an ack: work that arrived during the turn). */
  hasVisible(instance: string, now: number): boolean {
    return this.hasVisibleStmt.get(instance, now) !== undefined;
  }

  /** The instance's messages visible at `now`, in queue order. */
  visibleMessages(instance: string, now: number): MessageRow[] {
    return this.visibleStmt.all(instance, now);
  }

  /** Counts this delivery on the batch: the instance's messages up to `maxId` visible at `now`. */
  countDelivery(instance: string, maxId: number, now: number): void {
    this.countStmt.run(instance, maxId, now);
  }

  /** Deletes one message. */
  deleteMessage(id: number): void {
    this.deleteIdStmt.run(id);
  }

  /**
   * Takes the instance lock unless a live one exists; the lock row bounds its batch (ids up to `maxId`,
   * visible at `now`). Returns whether it was taken.
   */
  acquireLock(instance: string, token: string, lockedUntil: number, now: number, maxId: number): boolean {
    return this.lockStmt.run(instance, token, lockedUntil, now, maxId).changes === 1;
  }

  /** The lock held with this token, or undefined. */
  lockByToken(token: string): LockRow | undefined {
    return this.lockByTokenStmt.get(token);
  }

  /** Ends a held lock read by `lockByToken` in this transaction: deletes its batch, then the lock row. */
  completeHeld(lock: LockRow): void {
    this.deleteHeldBatchStmt.run(lock.instance_id, lock.batch_max_id, lock.locked_at);
    this.deleteHeldLockStmt.run(lock.instance_id);
  }

  /** The earliest time after `since` at which a message becomes visible or a lock on queued work expires. */
  nextWake(since: number): number | null {
    return this.nextWakeStmt.get({ now: since })?.t ?? null;
  }
}
