import { randomUUID } from 'node:crypto';
import {
  type AbandonOptions,
  type DispatcherCapabilityFilter,
  decodeEvent,
  decodeWorkItem,
  type Event,
  encodeWorkItem,
  type FetchedOrchestrationItem,
  type FetchOptions,
  type KvEntry,
  type OrchestrationAck,
  type OrchestratorItem,
  ProviderError,
  packSemver,
  workItemInstance,
} from '@duroxide/core';
import { checkOrchestratorItem, digestAck } from './ack-digest.js';
import type { Db } from './db.js';
import { checkDuration, checkPayloadSize, checkString, invalidInput } from './errors.js';
import { type HistoryCache, NO_PREFIX, type PrefixSet } from './history-cache.js';
import { longPoll } from './long-poll.js';
import type { Notifier } from './notifier.js';

/** One row of `fetch_orchestration_item`: a header ('h'), then messages ('m'), then history events ('e'). */
interface FetchRow {
  o_tag: 'h' | 'm' | 'e';
  o_text: string | null;
  o_instance: string | null;
  o_has_row: boolean | null;
  o_name: string | null;
  o_version: string | null;
  o_exec: number | null;
  o_epoch: number | null;
  o_delta: boolean | null;
  o_attempt: number | null;
  o_kv_keys: string[] | null;
  o_kv_values: string[] | null;
  o_kv_ts: number[] | null;
  o_next_wake: number | null;
}

/** The orchestrator-queue half of the contract: fetch, ack, abandon, renew and enqueue. */
export class OrchestrationOps {
  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly maxPayloadBytes: number,
    private readonly cache: HistoryCache,
  ) {}

  /** See `Provider.fetchOrchestrationItem`; long-polls on notifications and the next visibility time. */
  async fetch(
    lockTimeoutMs: number,
    pollTimeoutMs: number,
    filter?: DispatcherCapabilityFilter | null,
    options?: FetchOptions,
  ): Promise<FetchedOrchestrationItem | null> {
    const op = 'fetchOrchestrationItem';
    const lockMs = checkDuration(op, 'lockTimeoutMs', lockTimeoutMs);
    const pollMs = checkDuration(op, 'pollTimeoutMs', pollTimeoutMs);
    const range = versionRange(op, filter);
    if (range === 'none') return null;
    const { q } = this.db.names;
    return longPoll(
      this.db,
      this.notifier,
      'orchestrator',
      pollMs,
      async (wantWake) => {
        const token = `lock_${randomUUID()}`;
        const prefixes = this.cache.fetchPrefixes();
        const rows = await this.db.query<FetchRow>(
          op,
          'fetch_orch2',
          `SELECT * FROM ${q}.fetch_orchestration_item($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [
            this.db.clock.now(),
            lockMs,
            token,
            range !== null,
            range?.[0] ?? 0,
            range?.[1] ?? 0,
            wantWake,
            prefixes.instances,
            prefixes.executions,
            prefixes.epochs,
            prefixes.counts,
            prefixes.lastEventIds,
          ],
        );
        const row = rows[0];
        if (!row || row.o_instance === null) return { result: null, nextWakeAt: row?.o_next_wake ?? null };
        return { result: await this.toFetched(rows, token, prefixes), nextWakeAt: null };
      },
      options?.signal,
      range === null ? '' : `${range[0]}-${range[1]}`,
    );
  }

  /** See `Provider.ackOrchestrationItem`. */
  async ack(lockToken: string, ack: OrchestrationAck): Promise<void> {
    const op = 'ackOrchestrationItem';
    this.db.ensureOpen(op);
    const params = digestAck(lockToken, ack, this.db.clock.now(), this.maxPayloadBytes);
    const placeholders = params.map((_, i) => `$${i + 1}`).join(', ');
    await this.db.query(
      op,
      'ack_orch',
      `SELECT ${this.db.names.q}.ack_orchestration_item(${placeholders})`,
      params,
    );
  }

  /** See `Provider.abandonOrchestrationItem`. */
  async abandon(lockToken: string, options: AbandonOptions = {}): Promise<void> {
    const op = 'abandonOrchestrationItem';
    checkString(op, 'lockToken', lockToken);
    const delay = options.delayMs === undefined ? null : checkDuration(op, 'delayMs', options.delayMs);
    await this.db.query(
      op,
      'abandon_orch',
      `SELECT ${this.db.names.q}.abandon_orchestration_item($1, $2, $3, $4)`,
      [lockToken, this.db.clock.now(), delay, options.ignoreAttempt === true],
    );
  }

  /** See `Provider.renewOrchestrationItemLock`. */
  async renew(lockToken: string, extendForMs: number): Promise<void> {
    const op = 'renewOrchestrationItemLock';
    checkString(op, 'lockToken', lockToken);
    const extend = checkDuration(op, 'extendForMs', extendForMs);
    const now = this.db.clock.now();
    const rows = await this.db.query<{ locked_until: number }>(
      op,
      'renew_orch',
      `UPDATE ${this.db.names.q}.instance_locks SET locked_until = $2 + $3
        WHERE lock_token = $1 AND locked_until > $2 RETURNING locked_until`,
      [lockToken, now, extend],
    );
    if (rows.length === 0) {
      throw ProviderError.permanent(
        op,
        `Invalid lock token '${lockToken}': no live lock to renew (expired, acked, abandoned or never issued)`,
      );
    }
  }

  /** See `Provider.enqueueForOrchestrator`. */
  async enqueue(item: OrchestratorItem, delayMs?: number): Promise<void> {
    const op = 'enqueueForOrchestrator';
    const checked = checkOrchestratorItem(op, item, 'item');
    const delay = delayMs === undefined ? 0 : checkDuration(op, 'delayMs', delayMs);
    const text = encodeWorkItem(checked);
    checkPayloadSize(op, `orchestrator message (${checked.kind})`, text, this.maxPayloadBytes);
    const instance = workItemInstance(checked);
    const now = this.db.clock.now();
    await this.db.query(
      op,
      'enqueue_orch',
      `SELECT ${this.db.names.q}.enqueue_orchestrator($1, $2, $3, $4, $5)`,
      [now, checkString(op, 'instance', instance), checked.kind, text, now + delay],
    );
  }

  private async toFetched(
    rows: FetchRow[],
    token: string,
    prefixes: PrefixSet,
  ): Promise<FetchedOrchestrationItem> {
    const row = rows[0] as FetchRow;
    const instance = row.o_instance as string;
    let messages: OrchestratorItem[];
    try {
      messages = rows
        .filter((r) => r.o_tag === 'm')
        .map((r) => decodeWorkItem(r.o_text ?? '', 'orchestrator queue message') as OrchestratorItem);
    } catch (err) {
      // Never return an error while holding a lock: release it first.
      await this.abandon(token).catch(() => undefined);
      throw ProviderError.permanent(
        'fetchOrchestrationItem',
        `instance '${instance}': ${(err as Error).message}`,
        err,
      );
    }
    let history: Event[] = [];
    let historyError: string | null = null;
    try {
      const returned = rows.filter((r) => r.o_tag === 'e').map((r) => decodeEvent(r.o_text ?? ''));
      const header = { executionId: row.o_exec ?? 1, epoch: row.o_epoch, delta: row.o_delta === true };
      const sent = prefixes.byInstance.get(instance) ?? NO_PREFIX;
      history = this.cache.complete(instance, sent, header, returned);
    } catch (err) {
      this.cache.drop(instance);
      historyError = `instance '${instance}' execution ${row.o_exec}: ${(err as Error).message}`;
    }
    const { name, version } = identify(row, history, messages);
    const kvSnapshot: Record<string, KvEntry> = {};
    (row.o_kv_keys ?? []).forEach((key, i) => {
      kvSnapshot[key] = { value: row.o_kv_values?.[i] ?? '', lastUpdatedAtMs: row.o_kv_ts?.[i] ?? 0 };
    });
    return {
      item: {
        instance,
        orchestrationName: name,
        executionId: row.o_exec ?? 1,
        version,
        history: historyError === null ? history : [],
        messages,
        historyError,
        kvSnapshot,
      },
      lockToken: token,
      attemptCount: row.o_attempt ?? 1,
    };
  }
}

/** Name and version: the instance row, else the stored `OrchestrationStarted`, else a start in the batch. */
function identify(
  row: FetchRow,
  history: Event[],
  messages: OrchestratorItem[],
): { name: string; version: string } {
  if (row.o_has_row) return { name: row.o_name ?? 'unknown', version: row.o_version ?? 'unknown' };
  const started = history.find((e) => e.kind === 'OrchestrationStarted');
  if (started && started.kind === 'OrchestrationStarted')
    return { name: started.name, version: started.version };
  const start = messages.find((m) => m.kind === 'StartOrchestration' || m.kind === 'ContinueAsNew');
  if (start && (start.kind === 'StartOrchestration' || start.kind === 'ContinueAsNew')) {
    return { name: start.orchestration, version: start.version ?? 'unknown' };
  }
  return { name: 'unknown', version: 'unknown' };
}

/** The packed first range of a filter (duroxide honours only the first), `'none'` for an empty list. */
function versionRange(
  op: string,
  filter: DispatcherCapabilityFilter | null | undefined,
): [number, number] | 'none' | null {
  if (filter === null || filter === undefined) return null;
  const ranges = filter.supportedDuroxideVersions;
  if (!Array.isArray(ranges)) throw invalidInput(op, 'filter.supportedDuroxideVersions must be an array');
  const first = ranges[0];
  if (!first) return 'none';
  try {
    return [packSemver(first.min), packSemver(first.max)];
  } catch (err) {
    throw invalidInput(op, (err as Error).message);
  }
}
