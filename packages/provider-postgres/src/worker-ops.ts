import { randomUUID } from 'node:crypto';
import {
  type AbandonOptions,
  type ActivityCompletedItem,
  type ActivityExecuteItem,
  type ActivityFailedItem,
  decodeWorkItem,
  encodeWorkItem,
  type FetchedWorkItem,
  type FetchOptions,
  ProviderError,
  type SessionFetchConfig,
  type TagFilter,
  validateTagFilter,
  validateWorkItem,
} from '@duroxide/core';
import type { Db } from './db.js';
import { checkDuration, checkPayloadSize, checkString, invalidInput } from './errors.js';
import { longPoll } from './long-poll.js';
import type { Notifier } from './notifier.js';

interface WorkRow {
  o_item: string | null;
  o_attempt: number | null;
  o_next_wake: number | null;
  o_pool_empty: boolean | null;
}

/** The worker-queue and session half of the contract. */
export class WorkerOps {
  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly maxPayloadBytes: number,
  ) {}

  /** See `Provider.fetchWorkItem`; long-polls like the orchestration fetch. */
  async fetch(
    lockTimeoutMs: number,
    pollTimeoutMs: number,
    session: SessionFetchConfig | null,
    tagFilter: TagFilter,
    options?: FetchOptions,
  ): Promise<FetchedWorkItem | null> {
    const op = 'fetchWorkItem';
    const lockMs = checkDuration(op, 'lockTimeoutMs', lockTimeoutMs);
    const pollMs = checkDuration(op, 'pollTimeoutMs', pollTimeoutMs);
    const [tagMode, tags] = tagParams(op, tagFilter);
    if (tagMode === null) return null;
    const owner = session ? checkString(op, 'session.ownerId', session.ownerId) : null;
    const sessionLockMs = session ? checkDuration(op, 'session.lockTimeoutMs', session.lockTimeoutMs) : 0;
    return longPoll(
      this.db,
      this.notifier,
      'worker',
      pollMs,
      async (wantWake) => {
        const token = `lock_${randomUUID()}`;
        const [row] = await this.db.query<WorkRow>(
          op,
          'fetch_work',
          `SELECT * FROM ${this.db.names.q}.fetch_work_item($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            this.db.clock.now(),
            lockMs,
            token,
            session !== null,
            owner,
            sessionLockMs,
            tagMode,
            tags,
            wantWake,
          ],
        );
        if (!row || row.o_item === null) {
          return {
            result: null,
            nextWakeAt: row?.o_next_wake ?? null,
            poolEmpty: row?.o_pool_empty === true,
          };
        }
        return { result: await this.toFetched(row, token), nextWakeAt: null };
      },
      options?.signal,
      `${owner ?? ''}|${tagMode}|${tags.join('\u0000')}`,
      `${tagMode}|${tags.join('\u0000')}`,
    );
  }

  /** See `Provider.ackWorkItem`. */
  async ack(lockToken: string, completion: ActivityCompletedItem | ActivityFailedItem | null): Promise<void> {
    const op = 'ackWorkItem';
    checkString(op, 'lockToken', lockToken);
    let instance: string | null = null;
    let kind: string | null = null;
    let text: string | null = null;
    if (completion !== null && completion !== undefined) {
      const checked = checkItem(op, completion, 'completion');
      if (checked.kind !== 'ActivityCompleted' && checked.kind !== 'ActivityFailed') {
        throw invalidInput(op, `completion must be ActivityCompleted or ActivityFailed, got ${checked.kind}`);
      }
      text = encodeWorkItem(checked);
      checkPayloadSize(op, `activity ${checked.id} result`, text, this.maxPayloadBytes);
      instance = checkString(op, 'completion.instance', checked.instance);
      kind = checked.kind;
    }
    await this.db.query(op, 'ack_work', `SELECT ${this.db.names.q}.ack_work_item($1, $2, $3, $4, $5)`, [
      lockToken,
      this.db.clock.now(),
      instance,
      kind,
      text,
    ]);
  }

  /** See `Provider.abandonWorkItem`. */
  async abandon(lockToken: string, options: AbandonOptions = {}): Promise<void> {
    const op = 'abandonWorkItem';
    checkString(op, 'lockToken', lockToken);
    const delay = options.delayMs === undefined ? null : checkDuration(op, 'delayMs', options.delayMs);
    await this.db.query(op, 'abandon_work', `SELECT ${this.db.names.q}.abandon_work_item($1, $2, $3, $4)`, [
      lockToken,
      this.db.clock.now(),
      delay,
      options.ignoreAttempt === true,
    ]);
  }

  /** See `Provider.renewWorkItemLock`. */
  async renew(lockToken: string, extendForMs: number): Promise<void> {
    const op = 'renewWorkItemLock';
    checkString(op, 'lockToken', lockToken);
    const extend = checkDuration(op, 'extendForMs', extendForMs);
    await this.db.query(op, 'renew_work', `SELECT ${this.db.names.q}.renew_work_item_lock($1, $2, $3)`, [
      lockToken,
      this.db.clock.now(),
      extend,
    ]);
  }

  /** See `Provider.enqueueForWorker`. */
  async enqueue(item: ActivityExecuteItem): Promise<void> {
    const op = 'enqueueForWorker';
    const checked = checkItem(op, item, 'item');
    if (checked.kind !== 'ActivityExecute') {
      throw invalidInput(op, `only ActivityExecute items belong in the worker queue, got ${checked.kind}`);
    }
    const text = encodeWorkItem(checked);
    checkPayloadSize(op, `activity ${checked.id} (${checked.name})`, text, this.maxPayloadBytes);
    await this.db.query(
      op,
      'enqueue_work',
      `SELECT ${this.db.names.q}.enqueue_worker($1, $2, $3, $4, $5, $6, $7)`,
      [
        this.db.clock.now(),
        text,
        checkString(op, 'item.instance', checked.instance),
        checked.executionId,
        checked.id,
        checked.sessionId ?? null,
        checked.tag ?? null,
      ],
    );
  }

  /** See `Provider.renewSessionLock`. */
  async renewSessions(ownerIds: string[], extendForMs: number, idleTimeoutMs: number): Promise<number> {
    const op = 'renewSessionLock';
    if (!Array.isArray(ownerIds)) throw invalidInput(op, 'ownerIds must be an array of strings');
    const owners = ownerIds.map((id) => checkString(op, 'ownerIds[]', id));
    const extend = checkDuration(op, 'extendForMs', extendForMs);
    const idle = checkDuration(op, 'idleTimeoutMs', idleTimeoutMs);
    if (owners.length === 0) return 0;
    const now = this.db.clock.now();
    const rows = await this.db.query<{ n: number }>(
      op,
      'renew_sessions',
      `WITH u AS (UPDATE ${this.db.names.q}.sessions SET locked_until = $2 + $3
                   WHERE worker_id = ANY ($1) AND locked_until > $2 AND last_activity_at > $2 - $4
                  RETURNING 1)
       SELECT count(*) AS n FROM u`,
      [owners, now, extend, idle],
    );
    return rows[0]?.n ?? 0;
  }

  /** See `Provider.cleanupOrphanedSessions`. */
  async cleanupSessions(idleTimeoutMs: number): Promise<number> {
    const op = 'cleanupOrphanedSessions';
    checkDuration(op, 'idleTimeoutMs', idleTimeoutMs);
    const { q } = this.db.names;
    const rows = await this.db.query<{ n: number }>(
      op,
      'cleanup_sessions',
      `WITH d AS (DELETE FROM ${q}.sessions s WHERE s.locked_until < $1
                    AND NOT EXISTS (SELECT 1 FROM ${q}.worker_queue w WHERE w.session_id = s.session_id)
                  RETURNING 1)
       SELECT count(*) AS n FROM d`,
      [this.db.clock.now()],
    );
    return rows[0]?.n ?? 0;
  }

  private async toFetched(row: WorkRow, token: string): Promise<FetchedWorkItem> {
    try {
      const item = decodeWorkItem(row.o_item as string, 'worker queue item');
      if (item.kind !== 'ActivityExecute') throw new Error(`expected ActivityExecute, got ${item.kind}`);
      return { item, lockToken: token, attemptCount: row.o_attempt ?? 1 };
    } catch (err) {
      // Never return an error while holding a lock: release it first.
      await this.abandon(token).catch(() => undefined);
      throw ProviderError.permanent('fetchWorkItem', (err as Error).message, err);
    }
  }
}

/** The SQL tag mode (0 untagged, 1 any, 2 listed, 3 untagged or listed) and list; mode null = match nothing. */
function tagParams(op: string, filter: TagFilter): [number | null, string[]] {
  try {
    validateTagFilter(filter, 'tagFilter');
  } catch (err) {
    throw invalidInput(op, (err as Error).message);
  }
  if (filter === 'none') return [null, []];
  if (filter === 'defaultOnly') return [0, []];
  if (filter === 'any') return [1, []];
  if ('tags' in filter) return [2, filter.tags];
  return [3, filter.defaultAnd];
}

function checkItem(op: string, item: unknown, what: string) {
  try {
    return validateWorkItem(item, what);
  } catch (err) {
    throw invalidInput(op, (err as Error).message);
  }
}
