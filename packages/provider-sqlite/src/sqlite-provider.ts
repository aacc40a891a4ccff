import { realpathSync } from 'node:fs';
import type {
  AbandonOptions,
  ActivityCompletedItem,
  ActivityExecuteItem,
  ActivityFailedItem,
  CustomStatusReading,
  DispatcherCapabilityFilter,
  Event,
  FetchedOrchestrationItem,
  FetchedWorkItem,
  FetchOptions,
  InstanceStats,
  OrchestrationAck,
  OrchestratorItem,
  Provider,
  ProviderAdmin,
  ProviderCapabilities,
  SessionFetchConfig,
  TagFilter,
} from '@duroxide/core';
import { tagFilterMatches } from '@duroxide/core';
import type Database from 'better-sqlite3';
import { SqliteProviderAdmin } from './admin.js';
import { checkDuration, closedError, toProviderError } from './errors.js';
import { ExternalChanges } from './external-changes.js';
import { GroupCommit } from './group-commit.js';
import type { StoreContext } from './history-store.js';
import { RAW_ACCESS, type RawAccess } from './internal.js';
import { LongPoller } from './long-poll.js';
import {
  acquireNotifier,
  type CommitEffects,
  type CommitNotifier,
  deliver,
  type NotifierHandle,
  Signal,
  type WorkWaiter,
  workHint,
} from './notifier.js';
import {
  type DatabaseLocation,
  parseLocation,
  type ResolvedSqliteOptions,
  resolveOptions,
  type SqliteProviderOptions,
} from './options.js';
import { parseFilter } from './orchestration-fetch.js';
import { encodeMessage } from './orchestrator-queue.js';
import { openDatabase } from './schema.js';
import { createStores, type Stores } from './stores.js';
import { encodeActivity } from './worker-queue.js';

/** This package's version, reported as `provider.version`. */
export const SQLITE_PROVIDER_VERSION = '0.1.0';

/**
 * The embedded SQLite provider (better-sqlite3). Every contract method runs as one SQLite transaction
 * (`BEGIN IMMEDIATE` for writes) or, for fetches, acks and enqueues issued in the same event-loop turn, as
 * one savepoint of a shared transaction (see `GroupCommit`); mutual exclusion between processes comes from the
 * `instance_locks` table and row lock tokens. Fetches long-poll: a same-process commit wakes one waiting
 * fetch per new item (see `WorkChannel`).
 */
export class SqliteProvider implements Provider {
  /** Provider name for diagnostics. */
  readonly name = 'sqlite';
  /** Provider version for diagnostics. */
  readonly version = SQLITE_PROVIDER_VERSION;
  /** Fetches block up to their poll timeout and return as soon as work is committed. */
  readonly capabilities: ProviderCapabilities = { longPolling: true };
  /** Where the database lives (`memory`, or the absolute file path). */
  readonly location: DatabaseLocation;

  private closed = false;
  private readonly closing = new Signal();
  private readonly ctx: StoreContext;
  private readonly notifierHandle: NotifierHandle;
  private readonly notifier: CommitNotifier;
  private readonly poller: LongPoller;
  private readonly s: Stores;
  private readonly admin: SqliteProviderAdmin;
  private readonly group: GroupCommit;
  private readonly external: ExternalChanges | null;

  private constructor(db: Database.Database, location: DatabaseLocation, options: ResolvedSqliteOptions) {
    this.location = location;
    this.ctx = { db, clock: options.clock, maxPayloadBytes: options.maxPayloadBytes };
    this.notifierHandle = acquireNotifier(location.kind === 'file' ? realpathSync(location.path) : null);
    this.notifier = this.notifierHandle.notifier;
    const dataVersionStmt = db.prepare('PRAGMA data_version').pluck();
    this.external =
      location.kind === 'file'
        ? new ExternalChanges(() => (this.closed ? 0 : (dataVersionStmt.get() as number)))
        : null;
    this.poller = new LongPoller(
      {
        clock: options.clock,
        closing: this.closing,
        isClosed: () => this.closed,
        external: this.external,
      },
      this.notifier,
    );
    this.s = createStores(this.ctx);
    this.group = new GroupCommit(db, () => !this.closed);
    const { history, queries, deletes } = this.s;
    this.admin = new SqliteProviderAdmin(
      (op, body) => this.run(op, body),
      this.ctx,
      queries,
      deletes,
      history,
    );
  }

  /**
   * Opens (creating if missing) a database: `sqlite:./app.db`, `sqlite:///abs/app.db`, `sqlite::memory:`
   * or a bare path. Files use WAL mode; the schema is created or migrated on open.
   */
  static async open(urlOrPath: string, options?: SqliteProviderOptions): Promise<SqliteProvider> {
    const resolved = resolveOptions(options);
    const location = parseLocation(urlOrPath);
    return new SqliteProvider(openDatabase(location, resolved.busyTimeoutMs), location, resolved);
  }

  /** A private in-memory database (gone when closed). */
  static async inMemory(options?: SqliteProviderOptions): Promise<SqliteProvider> {
    const resolved = resolveOptions(options);
    const location: DatabaseLocation = { kind: 'memory' };
    return new SqliteProvider(openDatabase(location, resolved.busyTimeoutMs), location, resolved);
  }

  /** Locks the oldest eligible instance's visible batch, waiting up to `pollTimeoutMs` for work. */
  async fetchOrchestrationItem(
    lockTimeoutMs: number,
    pollTimeoutMs: number,
    filter?: DispatcherCapabilityFilter | null,
    options?: FetchOptions,
  ): Promise<FetchedOrchestrationItem | null> {
    const op = 'fetchOrchestrationItem';
    const { lock, poll, range } = this.run(op, () => ({
      lock: checkDuration(op, 'lockTimeoutMs', lockTimeoutMs, false),
      poll: checkDuration(op, 'pollTimeoutMs', pollTimeoutMs),
      range: parseFilter(op, filter),
    }));
    if (range === 'none') return null;
    const waiter: WorkWaiter = { key: range === null ? '*' : JSON.stringify(range), accepts: () => true };
    return this.poller.poll(
      this.notifier.orchestratorWork,
      waiter,
      poll,
      () => this.write(op, () => this.s.fetcher.fetch(lock, range)),
      (since) => this.run(op, () => this.s.orchestratorQueue.nextWake(since)),
      options?.signal,
    );
  }

  /** Commits a turn atomically (see the contract); fails as a whole when the lock was lost. */
  async ackOrchestrationItem(lockToken: string, ack: OrchestrationAck): Promise<void> {
    this.emit(await this.write('ackOrchestrationItem', () => this.s.acker.ack(lockToken, ack)));
  }

  /** Releases an orchestration lock without committing. */
  async abandonOrchestrationItem(lockToken: string, options: AbandonOptions = {}): Promise<void> {
    const op = 'abandonOrchestrationItem';
    this.run(op, () => {
      const delay = checkDuration(op, 'delayMs', options.delayMs ?? 0);
      this.s.orchestratorQueue.abandon(lockToken, delay, options.ignoreAttempt === true);
    });
    this.emit({ orchestrator: 'all', worker: 0, instances: [] });
  }

  /** Extends an unexpired orchestration lock. */
  async renewOrchestrationItemLock(lockToken: string, extendForMs: number): Promise<void> {
    const op = 'renewOrchestrationItemLock';
    this.run(op, () =>
      this.s.orchestratorQueue.renew(lockToken, checkDuration(op, 'extendForMs', extendForMs)),
    );
  }

  /** The latest execution's events; empty for an unknown instance. */
  async read(instance: string): Promise<Event[]> {
    return this.run('read', () => this.s.history.readLatest('read', instance));
  }

  /** One execution's events; empty when absent. */
  async readWithExecution(instance: string, executionId: number): Promise<Event[]> {
    return this.run('readWithExecution', () =>
      this.s.history.readExecution('readWithExecution', instance, executionId),
    );
  }

  /** Appends events verbatim (tests and fault injection); duplicates fail as a whole. */
  async appendWithExecution(instance: string, executionId: number, events: Event[]): Promise<void> {
    this.run('appendWithExecution', () => this.s.history.append(instance, executionId, events));
    this.emit({ orchestrator: 0, worker: 0, instances: [instance] });
  }

  /** Queues an orchestrator message visible after `delayMs` (a timer never before its fire time). */
  async enqueueForOrchestrator(item: OrchestratorItem, delayMs?: number): Promise<void> {
    const op = 'enqueueForOrchestrator';
    const delayed = await this.write(op, () => {
      const delay = checkDuration(op, 'delayMs', delayMs ?? 0);
      const message = encodeMessage(op, item, this.ctx.maxPayloadBytes);
      const now = this.ctx.clock.now();
      return this.s.orchestratorQueue.insert(message, now, delay) > now;
    });
    // A delayed message changes every waiter's next wake-up time, so all of them recompute it.
    this.emit({ orchestrator: delayed ? 'all' : 1, worker: 0, instances: [] });
  }

  /** Queues an activity, visible now. */
  async enqueueForWorker(item: ActivityExecuteItem): Promise<void> {
    const op = 'enqueueForWorker';
    const encoded = await this.write(op, () => {
      const activity = encodeActivity(op, item, this.ctx.maxPayloadBytes);
      this.s.workers.insert(activity, this.ctx.clock.now());
      return activity;
    });
    this.emit({ orchestrator: 0, worker: [workHint(encoded.item)], instances: [] });
  }

  /** Locks the oldest eligible activity, waiting up to `pollTimeoutMs` for one. */
  async fetchWorkItem(
    lockTimeoutMs: number,
    pollTimeoutMs: number,
    session: SessionFetchConfig | null,
    tagFilter: TagFilter,
    options?: FetchOptions,
  ): Promise<FetchedWorkItem | null> {
    const op = 'fetchWorkItem';
    const { lock, poll } = this.run(op, () => ({
      lock: checkDuration(op, 'lockTimeoutMs', lockTimeoutMs, false),
      poll: checkDuration(op, 'pollTimeoutMs', pollTimeoutMs),
    }));
    if (tagFilter === 'none') return null;
    const sessions = session !== null && session !== undefined;
    const waiter: WorkWaiter = {
      key: `${JSON.stringify(tagFilter)}|${sessions}`,
      accepts: (hint) =>
        hint === null || ((sessions || !hint.session) && tagFilterMatches(tagFilter, hint.tag)),
    };
    return this.poller.poll(
      this.notifier.workerWork,
      waiter,
      poll,
      () => this.write(op, () => this.s.workers.fetch(lock, session ?? null, tagFilter)),
      (since) => this.run(op, () => this.s.workers.nextWake(since)),
      options?.signal,
    );
  }

  /** Deletes the locked activity and enqueues its completion, atomically. */
  async ackWorkItem(
    lockToken: string,
    completion: ActivityCompletedItem | ActivityFailedItem | null,
  ): Promise<void> {
    const instance = await this.write('ackWorkItem', () => this.s.workers.ack(lockToken, completion ?? null));
    if (instance !== null) this.emit({ orchestrator: 1, worker: 0, instances: [] });
  }

  /** Releases an activity lock, optionally delaying and un-counting it. */
  async abandonWorkItem(lockToken: string, options: AbandonOptions = {}): Promise<void> {
    const op = 'abandonWorkItem';
    this.run(op, () => {
      const delay = checkDuration(op, 'delayMs', options.delayMs ?? 0);
      this.s.workers.abandon(lockToken, delay, options.ignoreAttempt === true);
    });
    this.emit({ orchestrator: 0, worker: 'all', instances: [] });
  }

  /** Extends an unexpired activity lock; fails when the row is gone (the cancellation signal). */
  async renewWorkItemLock(lockToken: string, extendForMs: number): Promise<void> {
    const op = 'renewWorkItemLock';
    this.run(op, () => this.s.workers.renew(lockToken, checkDuration(op, 'extendForMs', extendForMs)));
  }

  /** Heartbeats live, non-idle sessions of these owners; returns how many. */
  async renewSessionLock(ownerIds: string[], extendForMs: number, idleTimeoutMs: number): Promise<number> {
    const op = 'renewSessionLock';
    return this.run(op, () => {
      const extend = checkDuration(op, 'extendForMs', extendForMs);
      const idle = checkDuration(op, 'idleTimeoutMs', idleTimeoutMs);
      const now = this.ctx.clock.now();
      return this.s.sessions.renew(ownerIds, now + extend, now, idle);
    });
  }

  /** Deletes expired sessions with no queued activity; returns how many. */
  async cleanupOrphanedSessions(_idleTimeoutMs: number): Promise<number> {
    return this.run('cleanupOrphanedSessions', () => this.s.sessions.cleanup(this.ctx.clock.now()));
  }

  /** The custom status when its version is above `lastSeenVersion`. */
  async getCustomStatus(instance: string, lastSeenVersion: number): Promise<CustomStatusReading | null> {
    return this.run('getCustomStatus', () => this.s.instances.getCustomStatus(instance, lastSeenVersion));
  }

  /** A KV value as clients see it. */
  async getKvValue(instance: string, key: string): Promise<string | null> {
    return this.run('getKvValue', () => this.s.kv.getValue(instance, key));
  }

  /** Every KV value as clients see it. */
  async getKvAllValues(instance: string): Promise<Record<string, string>> {
    return this.run('getKvAllValues', () => this.s.kv.getAllValues(instance));
  }

  /** Size figures for the current execution; null when unknown. */
  async getInstanceStats(instance: string): Promise<InstanceStats | null> {
    return this.run('getInstanceStats', () => this.s.queries.getInstanceStats(instance));
  }

  /** Resolves when a commit in this process touches the instance, or after `timeoutMs`. */
  async waitForInstanceChange(instance: string, timeoutMs: number): Promise<void> {
    await this.poller.waitForInstanceChange(instance, timeoutMs);
  }

  /** The management capability. */
  asManagementCapability(): ProviderAdmin {
    return this.admin;
  }

  /** Closes the database and wakes waiting fetches (they return null). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.external?.stop();
    this.closing.emit();
    this.notifierHandle.release();
    this.ctx.db.close();
  }

  /** Raw access for tests (see `sqliteTestHooks`); not part of the Provider contract. */
  [RAW_ACCESS](): RawAccess {
    if (this.closed) throw closedError('rawAccess');
    return { db: this.ctx.db, notifier: this.notifier };
  }

  private run<T>(operation: string, body: () => T): T {
    if (this.closed) throw closedError(operation);
    try {
      return body();
    } catch (err) {
      throw toProviderError(operation, err);
    }
  }

  /** A write that may share its commit with the other writes submitted in the same tick (see `GroupCommit`). */
  private write<T>(operation: string, body: () => T): Promise<T> {
    if (this.closed) return Promise.reject(closedError(operation));
    return this.group.submit(
      () => this.run(operation, body),
      (err) => (this.closed ? closedError(operation) : toProviderError(operation, err)),
    );
  }

  private emit(effects: CommitEffects): void {
    deliver(this.notifier.orchestratorWork, effects.orchestrator);
    deliver(this.notifier.workerWork, effects.worker);
    if (effects.instances.length > 0) this.notifier.emitInstances(effects.instances);
  }
}
