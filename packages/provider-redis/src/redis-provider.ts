import { randomUUID } from 'node:crypto';
import {
  type AbandonOptions,
  type ActivityCompletedItem,
  type ActivityExecuteItem,
  type ActivityFailedItem,
  type Clock,
  type CustomStatusReading,
  type DispatcherCapabilityFilter,
  decodeWorkItem,
  type Event,
  type FetchedOrchestrationItem,
  type FetchedWorkItem,
  type FetchOptions,
  type InstanceStats,
  type OrchestrationAck,
  type OrchestratorItem,
  type Provider,
  type ProviderAdmin,
  type ProviderCapabilities,
  packSemver,
  type SessionFetchConfig,
  type TagFilter,
  validateTagFilter,
} from '@duroxide/core';
import type { Redis } from 'ioredis';
import { ChangeFeed } from './change-feed.js';
import {
  ackArgs,
  buildOrchestrationItem,
  decodeHistory,
  eventArgs,
  type FetchOrchReply,
  type LoadedHistory,
  orchestratorItemArgs,
  pairs,
  workerItemArgs,
} from './codec.js';
import { checkUrl, openConnection } from './connection.js';
import { checkDuration, closedError, invalidInput, toProviderError } from './errors.js';
import { HistoryCache, NO_HINT } from './history-cache.js';
import { decodeId, encodeId } from './ids.js';
import type { ScriptName } from './lua/index.js';
import { type RedisProviderOptions, type ResolvedRedisOptions, resolveOptions } from './options.js';
import { RedisAdmin } from './redis-admin.js';
import { type ScriptArg, ScriptRunner } from './script-runner.js';
import { WorkPoller } from './work-poller.js';

/**
 * A duroxide provider on Redis: every multi-key step is one Lua script (loaded once, called by SHA),
 * all keys live under `keyPrefix`, and fetches long-poll on pub/sub notifications from every process.
 */
export class RedisProvider implements Provider {
  /** Provider name for diagnostics. */
  readonly name = 'redis';
  /** Provider version for diagnostics. */
  readonly version = '0.1.0';
  /** Fetches block up to their poll timeout and wake as soon as any process enqueues work. */
  readonly capabilities: ProviderCapabilities = { longPolling: true };
  private closed = false;
  private readonly admin: RedisAdmin;
  /** Decoded histories this process read (see `HistoryCache`). */
  private readonly history = new HistoryCache();
  /** Names this process's cache inside Redis, so a fetch sends only events it has not seen. */
  private readonly cacheId = randomUUID();
  /** Long polls over the change feed (with this process's known-empty queues). */
  private readonly poller: WorkPoller;

  private constructor(
    private readonly client: Redis,
    private readonly subscriber: Redis,
    private readonly scripts: ScriptRunner,
    private readonly feed: ChangeFeed,
    private readonly options: ResolvedRedisOptions,
  ) {
    this.admin = new RedisAdmin(this);
    this.poller = new WorkPoller(feed, options.clock, options.recheckIntervalMs, () => this.closed);
  }

  /** Connects (two connections: commands and pub/sub), loads the scripts and subscribes to notifications. */
  static async connect(url: string, options: RedisProviderOptions): Promise<RedisProvider> {
    const resolved = resolveOptions(options);
    checkUrl(url);
    const client = await openConnection(url, resolved.redisOptions, `${resolved.keyPrefix}:cmd`);
    let subscriber: Redis | null = null;
    try {
      subscriber = await openConnection(url, resolved.redisOptions, `${resolved.keyPrefix}:sub`);
      const scripts = new ScriptRunner(client);
      await scripts.loadAll();
      const feed = new ChangeFeed(subscriber, `${resolved.keyPrefix}:n`, resolved.clock);
      await feed.start();
      return new RedisProvider(client, subscriber, scripts, feed, resolved);
    } catch (err) {
      client.disconnect();
      subscriber?.disconnect();
      throw toProviderError('connect', err);
    }
  }

  /** The key prefix this provider uses. */
  get keyPrefix(): string {
    return this.options.keyPrefix;
  }

  /** The command connection (for tests and operational tooling; do not write provider keys with it). */
  get connection(): Redis {
    return this.client;
  }

  /** Runs one script with the prefix and the clock's now prepended; maps failures to `ProviderError`. */
  async runScript(operation: string, name: ScriptName, args: ScriptArg[]): Promise<unknown> {
    if (this.closed) throw closedError(operation);
    try {
      return await this.scripts.run(name, [this.options.keyPrefix, this.now(), ...args]);
    } catch (err) {
      throw toProviderError(operation, err);
    }
  }

  /** Runs one plain command; maps failures to `ProviderError`. */
  async command<T>(operation: string, call: (redis: Redis, prefix: string) => Promise<T>): Promise<T> {
    if (this.closed) throw closedError(operation);
    try {
      return await call(this.client, this.options.keyPrefix);
    } catch (err) {
      throw toProviderError(operation, err);
    }
  }

  /** Reads one execution's history (latest when `executionId` is null); undecodable events fail permanently. */
  async readHistory(operation: string, instance: string, executionId: number | null): Promise<Event[]> {
    const loaded = await this.loadHistory(operation, instance, encodeId(instance, operation), executionId);
    if ('error' in loaded) throw toProviderError(operation, new Error(loaded.error));
    return loaded.events;
  }

  /**
   * Reads one execution's history through the history cache: the script sends only the events after the
   * cached prefix when that prefix is provably intact. Transport failures throw; undecodable events
   * become `{ error }`.
   */
  private async loadHistory(
    operation: string,
    instance: string,
    e: string,
    executionId: number | null,
  ): Promise<LoadedHistory> {
    for (let hinted = true; ; hinted = false) {
      const hint = hinted ? this.history.hint(e, executionId) : NO_HINT;
      const reply = (await this.runScript(operation, 'readHistory', [
        e,
        executionId ?? '',
        hint.executionId,
        hint.generation,
        hint.count,
        hint.lastEventId,
      ])) as [number, string[], string | null, number];
      const x = Number(reply[0]);
      const resolved = this.resolveHistory(e, instance, x, reply[2], Number(reply[3]), reply[1]);
      // Null only for a partial reply the cache cannot complete; the unhinted retry is always whole.
      if (resolved !== null || !hinted) return resolved ?? { error: 'unreachable: partial unhinted reply' };
    }
  }

  /** Decodes a history reply and completes it from the cache (null: the cached prefix is gone). */
  private resolveHistory(
    e: string,
    instance: string,
    executionId: number,
    generation: string | null,
    base: number,
    flat: unknown,
  ): LoadedHistory | null {
    let events: Event[];
    try {
      events = decodeHistory(flat, instance, executionId);
    } catch (err) {
      this.history.drop(e);
      return { error: err instanceof Error ? err.message : String(err) };
    }
    const full = this.history.resolve(e, { executionId, generation: generation ?? null, base, events });
    return full === null ? null : { events: full };
  }

  private now(): number {
    return Math.floor(this.options.clock.now());
  }

  /** The injected clock. */
  get clock(): Clock {
    return this.options.clock;
  }

  async fetchOrchestrationItem(
    lockTimeoutMs: number,
    pollTimeoutMs: number,
    filter?: DispatcherCapabilityFilter | null,
    options?: FetchOptions,
  ): Promise<FetchedOrchestrationItem | null> {
    const op = 'fetchOrchestrationItem';
    const lock = checkDuration(op, 'lockTimeoutMs', lockTimeoutMs);
    let range: ScriptArg[] = ['0', 0, 0];
    if (filter != null) {
      const first = filter.supportedDuroxideVersions?.[0];
      if (first === undefined) return null;
      try {
        range = ['1', packSemver(first.min), packSemver(first.max)];
      } catch (err) {
        throw invalidInput(op, err instanceof Error ? err.message : String(err));
      }
    }
    return this.poller.poll(op, 'orchestrator', range.join(','), pollTimeoutMs, options?.signal, async () => {
      const token = `lock_${randomUUID()}`;
      const reply = (await this.runScript(op, 'fetchOrch', [
        lock,
        token,
        ...range,
        this.cacheId,
      ])) as unknown[];
      if (reply[0] !== 1) return { value: null, nextAt: reply[1] == null ? null : Number(reply[1]) };
      const full = reply as FetchOrchReply;
      try {
        const e = full[1];
        const x = Number(full[2]);
        const instance = decodeId(e);
        const loaded =
          this.resolveHistory(e, instance, x, full[10], Number(full[11]), full[7]) ??
          (await this.loadHistory(op, instance, e, x));
        return {
          value: {
            item: buildOrchestrationItem(full, loaded),
            lockToken: token,
            attemptCount: Number(full[5]),
          },
          nextAt: null,
        };
      } catch (err) {
        // Never return an error while holding a lock.
        await this.abandonOrchestrationItem(token).catch(() => {});
        throw toProviderError(op, err);
      }
    });
  }

  async ackOrchestrationItem(lockToken: string, ack: OrchestrationAck): Promise<void> {
    const op = 'ackOrchestrationItem';
    const args = ackArgs(op, String(lockToken), ack, this.now(), this.options.maxPayloadBytes);
    await this.runScript(op, 'ackOrch', args);
  }

  async abandonOrchestrationItem(lockToken: string, options: AbandonOptions = {}): Promise<void> {
    const op = 'abandonOrchestrationItem';
    const delay = options.delayMs == null ? '' : checkDuration(op, 'delayMs', options.delayMs);
    await this.runScript(op, 'abandonOrch', [String(lockToken), delay, options.ignoreAttempt ? '1' : '0']);
  }

  async renewOrchestrationItemLock(lockToken: string, extendForMs: number): Promise<void> {
    const op = 'renewOrchestrationItemLock';
    await this.runScript(op, 'renewOrch', [String(lockToken), checkDuration(op, 'extendForMs', extendForMs)]);
  }

  read(instance: string): Promise<Event[]> {
    return this.readHistory('read', instance, null);
  }

  readWithExecution(instance: string, executionId: number): Promise<Event[]> {
    return this.readHistory('readWithExecution', instance, executionId);
  }

  async appendWithExecution(instance: string, executionId: number, events: Event[]): Promise<void> {
    const op = 'appendWithExecution';
    const e = encodeId(instance, op);
    await this.runScript(op, 'appendHistory', [
      e,
      executionId,
      ...eventArgs(op, events, this.options.maxPayloadBytes),
    ]);
  }

  async enqueueForOrchestrator(item: OrchestratorItem, delayMs?: number): Promise<void> {
    const op = 'enqueueForOrchestrator';
    const delay = delayMs == null ? 0 : checkDuration(op, 'delayMs', delayMs);
    const now = this.now();
    const [e, kind, , payload] = orchestratorItemArgs(op, item, now, this.options.maxPayloadBytes);
    await this.runScript(op, 'enqueueOrch', [e as string, kind as string, now + delay, payload as string]);
  }

  async enqueueForWorker(item: ActivityExecuteItem): Promise<void> {
    const op = 'enqueueForWorker';
    await this.runScript(op, 'enqueueWork', workerItemArgs(op, item, this.options.maxPayloadBytes));
  }

  async fetchWorkItem(
    lockTimeoutMs: number,
    pollTimeoutMs: number,
    session: SessionFetchConfig | null,
    tagFilter: TagFilter,
    options?: FetchOptions,
  ): Promise<FetchedWorkItem | null> {
    const op = 'fetchWorkItem';
    const lock = checkDuration(op, 'lockTimeoutMs', lockTimeoutMs);
    const filterArgs = tagFilterArgs(op, tagFilter);
    if (filterArgs === null) return null;
    const sessionArgs: ScriptArg[] = session
      ? ['1', String(session.ownerId), checkDuration(op, 'session.lockTimeoutMs', session.lockTimeoutMs)]
      : ['0', '', 0];
    const key = JSON.stringify([filterArgs, sessionArgs[0], sessionArgs[1]]);
    return this.poller.poll(op, 'worker', key, pollTimeoutMs, options?.signal, async () => {
      const token = `lock_${randomUUID()}`;
      const reply = (await this.runScript(op, 'fetchWork', [
        lock,
        token,
        ...filterArgs,
        ...sessionArgs,
      ])) as unknown[];
      if (reply[0] !== 1) return { value: null, nextAt: reply[1] == null ? null : Number(reply[1]) };
      try {
        const item = decodeWorkItem(String(reply[2]), `worker row ${String(reply[1])}`);
        if (item.kind !== 'ActivityExecute')
          throw new Error(`worker row holds a ${item.kind}, not an ActivityExecute`);
        // reply[4]: false = more rows may be fetchable now; -1 = none later either; else the next time.
        const next = reply[4] === false || reply[4] == null ? null : Number(reply[4]);
        return {
          value: { item, lockToken: token, attemptCount: Number(reply[3]) },
          nextAt: next === null || next < 0 ? null : next,
          drained: next !== null,
        };
      } catch (err) {
        await this.abandonWorkItem(token).catch(() => {});
        throw toProviderError(op, err);
      }
    });
  }

  async ackWorkItem(
    lockToken: string,
    completion: ActivityCompletedItem | ActivityFailedItem | null,
  ): Promise<void> {
    const op = 'ackWorkItem';
    let completionArgs: ScriptArg[] = ['0', '', '', ''];
    if (completion !== null && completion !== undefined) {
      if (completion.kind !== 'ActivityCompleted' && completion.kind !== 'ActivityFailed') {
        throw invalidInput(
          op,
          `a completion must be ActivityCompleted or ActivityFailed, got ${String((completion as { kind?: unknown }).kind)}`,
        );
      }
      const [e, kind, , payload] = orchestratorItemArgs(
        op,
        completion,
        this.now(),
        this.options.maxPayloadBytes,
      );
      completionArgs = ['1', e as string, kind as string, payload as string];
    }
    await this.runScript(op, 'ackWork', [String(lockToken), ...completionArgs]);
  }

  async abandonWorkItem(lockToken: string, options: AbandonOptions = {}): Promise<void> {
    const op = 'abandonWorkItem';
    const delay = options.delayMs == null ? '' : checkDuration(op, 'delayMs', options.delayMs);
    await this.runScript(op, 'abandonWork', [String(lockToken), delay, options.ignoreAttempt ? '1' : '0']);
  }

  async renewWorkItemLock(lockToken: string, extendForMs: number): Promise<void> {
    const op = 'renewWorkItemLock';
    await this.runScript(op, 'renewWork', [String(lockToken), checkDuration(op, 'extendForMs', extendForMs)]);
  }

  async renewSessionLock(ownerIds: string[], extendForMs: number, idleTimeoutMs: number): Promise<number> {
    const op = 'renewSessionLock';
    const extend = checkDuration(op, 'extendForMs', extendForMs);
    const idle = checkDuration(op, 'idleTimeoutMs', idleTimeoutMs);
    if (!Array.isArray(ownerIds)) throw invalidInput(op, 'ownerIds must be an array');
    if (ownerIds.length === 0) return 0;
    const owners = ownerIds.map(String);
    return Number(await this.runScript(op, 'renewSessions', [extend, idle, owners.length, ...owners]));
  }

  async cleanupOrphanedSessions(idleTimeoutMs: number): Promise<number> {
    const op = 'cleanupOrphanedSessions';
    checkDuration(op, 'idleTimeoutMs', idleTimeoutMs);
    return Number(await this.runScript(op, 'cleanupSessions', []));
  }

  async getCustomStatus(instance: string, lastSeenVersion: number): Promise<CustomStatusReading | null> {
    const op = 'getCustomStatus';
    const e = encodeId(instance, op);
    const [status, version] = await this.command(op, (r, p) => r.hmget(`${p}:i:${e}`, 'cs', 'csv'));
    if (version == null || Number(version) <= lastSeenVersion) return null;
    return { customStatus: status ?? null, version: Number(version) };
  }

  async getKvValue(instance: string, key: string): Promise<string | null> {
    const op = 'getKvValue';
    const reply = (await this.runScript(op, 'getKv', [encodeId(instance, op), String(key)])) as [
      number,
      string?,
    ];
    return reply[0] === 1 ? String(reply[1]) : null;
  }

  async getKvAllValues(instance: string): Promise<Record<string, string>> {
    const op = 'getKvAllValues';
    const reply = await this.runScript(op, 'getKvAll', [encodeId(instance, op)]);
    return Object.fromEntries(pairs(reply));
  }

  async getInstanceStats(instance: string): Promise<InstanceStats | null> {
    const op = 'getInstanceStats';
    const reply = (await this.runScript(op, 'instanceStats', [encodeId(instance, op)])) as number[] | null;
    if (!reply) return null;
    const [historyEventCount, historySizeBytes, queuePendingCount, kvUserKeyCount, kvTotalValueBytes] =
      reply.map(Number);
    return {
      historyEventCount: historyEventCount ?? 0,
      historySizeBytes: historySizeBytes ?? 0,
      queuePendingCount: queuePendingCount ?? 0,
      kvUserKeyCount: kvUserKeyCount ?? 0,
      kvTotalValueBytes: kvTotalValueBytes ?? 0,
    };
  }

  async waitForInstanceChange(instance: string, timeoutMs: number): Promise<void> {
    const op = 'waitForInstanceChange';
    const timeout = checkDuration(op, 'timeoutMs', timeoutMs);
    if (this.closed) return;
    await this.feed.waitForInstance(encodeId(instance, op), timeout);
  }

  asManagementCapability(): ProviderAdmin {
    return this.admin;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.feed.close();
    await Promise.all([quit(this.subscriber), quit(this.client)]);
  }
}

/** The fetch-script arguments for a tag filter, or null for `none` (nothing matches). */
function tagFilterArgs(op: string, filter: TagFilter): ScriptArg[] | null {
  try {
    validateTagFilter(filter, 'tagFilter');
  } catch (err) {
    throw invalidInput(op, err instanceof Error ? err.message : String(err));
  }
  if (filter === 'none') return null;
  if (filter === 'any') return ['any', 0];
  if (filter === 'defaultOnly') return ['default', 0];
  if ('tags' in filter) return ['tags', filter.tags.length, ...filter.tags];
  return ['defaultAnd', filter.defaultAnd.length, ...filter.defaultAnd];
}

async function quit(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
