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
import pg from 'pg';
import { PostgresAdmin } from './admin.js';
import { Db, pgTypes } from './db.js';
import { checkDuration, checkString, toProviderError } from './errors.js';
import { HistoryCache } from './history-cache.js';
import { migrate } from './migrate.js';
import { Notifier } from './notifier.js';
import {
  DEFAULT_SCHEMA,
  type PostgresProviderOptions,
  resolveOptions,
  validateSchemaName,
  validateUrl,
} from './options.js';
import { OrchestrationOps } from './orchestration-ops.js';
import { ReadOps } from './read-ops.js';
import { schemaNames } from './sql/naming.js';
import { WorkerOps } from './worker-ops.js';

/** This package's version, reported as `provider.version`. */
export const POSTGRES_PROVIDER_VERSION = '0.1.0';

/**
 * The Postgres provider: many runtime processes on many hosts share one database. Every operation is one
 * round trip to a server-side function (one transaction); fetches skip locked work, and waiting fetches
 * are woken by LISTEN/NOTIFY. Every timestamp compared comes from the injected clock of the caller.
 */
export class PostgresProvider implements Provider {
  /** Provider name for diagnostics. */
  readonly name = 'postgres';
  /** Provider version for diagnostics. */
  readonly version = POSTGRES_PROVIDER_VERSION;
  /** Fetches long-poll: they wait on notifications and return as soon as work appears. */
  readonly capabilities: ProviderCapabilities = { longPolling: true };
  /** The schema holding this provider's tables and functions. */
  readonly schema: string;

  private readonly orchestration: OrchestrationOps;
  private readonly worker: WorkerOps;
  private readonly reads: ReadOps;
  private readonly admin: PostgresAdmin;

  private constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    maxPayloadBytes: number,
  ) {
    this.schema = db.names.schema;
    // One cache for fetches and reads: a client polling status in the runtime's process shares its entries.
    const cache = new HistoryCache();
    this.orchestration = new OrchestrationOps(db, notifier, maxPayloadBytes, cache);
    this.worker = new WorkerOps(db, notifier, maxPayloadBytes);
    this.reads = new ReadOps(db, maxPayloadBytes, cache);
    this.admin = new PostgresAdmin(db, this.reads);
  }

  /** Connects to `url` using the `public` schema, creating and migrating it on first use. */
  static connect(url: string, options?: PostgresProviderOptions): Promise<PostgresProvider> {
    return PostgresProvider.connectWithSchema(url, DEFAULT_SCHEMA, options);
  }

  /**
   * Connects to `url` with every table in `schema` (created and migrated on first use under an advisory
   * lock, so processes starting together do not collide).
   */
  static async connectWithSchema(
    url: string,
    schema: string,
    options?: PostgresProviderOptions,
  ): Promise<PostgresProvider> {
    const connectionString = validateUrl(url);
    const names = schemaNames(validateSchemaName(schema));
    const resolved = resolveOptions(options);
    const base: pg.ClientConfig = {
      connectionString,
      connectionTimeoutMillis: resolved.connectionTimeoutMs,
      application_name: resolved.applicationName,
      types: pgTypes,
    };
    const pool = new pg.Pool({ ...base, max: resolved.poolSize });
    // An idle pooled connection that dies (server restart, terminated backend) is dropped by the pool;
    // without a listener the 'error' event would crash the process.
    pool.on('error', () => undefined);
    const notifier = new Notifier(base, names.channel, resolved.clock);
    try {
      await migrate(pool, names);
      await notifier.start();
    } catch (err) {
      await notifier.close();
      await pool.end().catch(() => undefined);
      throw toProviderError('connect', err);
    }
    return new PostgresProvider(new Db(pool, names, resolved.clock), notifier, resolved.maxPayloadBytes);
  }

  /** See `Provider.fetchOrchestrationItem`. */
  fetchOrchestrationItem(
    lockTimeoutMs: number,
    pollTimeoutMs: number,
    filter?: DispatcherCapabilityFilter | null,
    options?: FetchOptions,
  ): Promise<FetchedOrchestrationItem | null> {
    return this.orchestration.fetch(lockTimeoutMs, pollTimeoutMs, filter, options);
  }

  /** See `Provider.ackOrchestrationItem`. */
  ackOrchestrationItem(lockToken: string, ack: OrchestrationAck): Promise<void> {
    return this.orchestration.ack(lockToken, ack);
  }

  /** See `Provider.abandonOrchestrationItem`. */
  abandonOrchestrationItem(lockToken: string, options?: AbandonOptions): Promise<void> {
    return this.orchestration.abandon(lockToken, options);
  }

  /** See `Provider.renewOrchestrationItemLock`. */
  renewOrchestrationItemLock(lockToken: string, extendForMs: number): Promise<void> {
    return this.orchestration.renew(lockToken, extendForMs);
  }

  /** See `Provider.read`. */
  read(instance: string): Promise<Event[]> {
    return this.reads.read(instance);
  }

  /** See `Provider.readWithExecution`. */
  readWithExecution(instance: string, executionId: number): Promise<Event[]> {
    return this.reads.readWithExecution(instance, executionId);
  }

  /** See `Provider.appendWithExecution`. */
  appendWithExecution(instance: string, executionId: number, events: Event[]): Promise<void> {
    return this.reads.append(instance, executionId, events);
  }

  /** See `Provider.enqueueForOrchestrator`. */
  enqueueForOrchestrator(item: OrchestratorItem, delayMs?: number): Promise<void> {
    return this.orchestration.enqueue(item, delayMs);
  }

  /** See `Provider.enqueueForWorker`. */
  enqueueForWorker(item: ActivityExecuteItem): Promise<void> {
    return this.worker.enqueue(item);
  }

  /** See `Provider.fetchWorkItem`. */
  fetchWorkItem(
    lockTimeoutMs: number,
    pollTimeoutMs: number,
    session: SessionFetchConfig | null,
    tagFilter: TagFilter,
    options?: FetchOptions,
  ): Promise<FetchedWorkItem | null> {
    return this.worker.fetch(lockTimeoutMs, pollTimeoutMs, session, tagFilter, options);
  }

  /** See `Provider.ackWorkItem`. */
  ackWorkItem(
    lockToken: string,
    completion: ActivityCompletedItem | ActivityFailedItem | null,
  ): Promise<void> {
    return this.worker.ack(lockToken, completion);
  }

  /** See `Provider.abandonWorkItem`. */
  abandonWorkItem(lockToken: string, options?: AbandonOptions): Promise<void> {
    return this.worker.abandon(lockToken, options);
  }

  /** See `Provider.renewWorkItemLock`. */
  renewWorkItemLock(lockToken: string, extendForMs: number): Promise<void> {
    return this.worker.renew(lockToken, extendForMs);
  }

  /** See `Provider.renewSessionLock`. */
  renewSessionLock(ownerIds: string[], extendForMs: number, idleTimeoutMs: number): Promise<number> {
    return this.worker.renewSessions(ownerIds, extendForMs, idleTimeoutMs);
  }

  /** See `Provider.cleanupOrphanedSessions`. */
  cleanupOrphanedSessions(idleTimeoutMs: number): Promise<number> {
    return this.worker.cleanupSessions(idleTimeoutMs);
  }

  /** See `Provider.getCustomStatus`. */
  getCustomStatus(instance: string, lastSeenVersion: number): Promise<CustomStatusReading | null> {
    return this.reads.customStatus(instance, lastSeenVersion);
  }

  /** See `Provider.getKvValue`. */
  getKvValue(instance: string, key: string): Promise<string | null> {
    return this.reads.kvValue(instance, key);
  }

  /** See `Provider.getKvAllValues`. */
  getKvAllValues(instance: string): Promise<Record<string, string>> {
    return this.reads.kvAll(instance);
  }

  /** See `Provider.getInstanceStats`. */
  getInstanceStats(instance: string): Promise<InstanceStats | null> {
    return this.reads.stats(instance);
  }

  /** Resolves on the next notification about `instance` (from any process), after `timeoutMs`, or on close. */
  async waitForInstanceChange(instance: string, timeoutMs: number): Promise<void> {
    const op = 'waitForInstanceChange';
    checkString(op, 'instance', instance);
    const ms = checkDuration(op, 'timeoutMs', timeoutMs);
    this.db.ensureOpen(op);
    await this.notifier.waitForInstance(instance, ms);
  }

  /** The management capability. */
  asManagementCapability(): ProviderAdmin {
    return this.admin;
  }

  /** Wakes waiting fetches (they return null), stops listening and ends the pool. */
  async close(): Promise<void> {
    if (this.db.closed) return;
    const closing = this.db.close();
    await this.notifier.close();
    await closing;
  }
}
