import {
  type CustomStatusReading,
  decodeEvent,
  type Event,
  encodeEvent,
  type InstanceStats,
  ProviderError,
  validateEvent,
} from '@duroxide/core';
import type { Db } from './db.js';
import { checkPayloadSize, checkString, invalidInput } from './errors.js';
import type { HistoryCache } from './history-cache.js';

/** History, custom status, KV and stats: single-statement reads (and the test-only append). */
export class ReadOps {
  constructor(
    private readonly db: Db,
    private readonly maxPayloadBytes: number,
    private readonly cache: HistoryCache,
  ) {}

  /** The latest execution's events (`COALESCE(MAX(execution_id), 1)` from executions). */
  read(instance: string, op = 'read'): Promise<Event[]> {
    checkString(op, 'instance', instance);
    return this.readThroughCache(op, instance, null);
  }

  /** One execution's events. */
  readWithExecution(instance: string, executionId: number, op = 'readWithExecution'): Promise<Event[]> {
    checkString(op, 'instance', instance);
    checkExecutionId(op, executionId);
    return this.readThroughCache(op, instance, executionId);
  }

  /**
   * One statement: picks the execution (`executionId`, else the latest), checks the cached prefix of the
   * instance against it (epoch, and the count of rows up to the last cached id) and returns either only the
   * rows after the prefix or all of them. The first row always carries the header, even with no events.
   */
  private async readThroughCache(op: string, instance: string, executionId: number | null): Promise<Event[]> {
    const { q } = this.db.names;
    const sent = this.cache.prefix(instance);
    const rows = await this.db.query<{
      exec: number;
      epoch: number | null;
      delta: boolean;
      event_data: string | null;
    }>(
      op,
      'read_history',
      `WITH target AS (
         SELECT COALESCE($2::BIGINT,
                         (SELECT MAX(execution_id) FROM ${q}.executions WHERE instance_id = $1), 1) AS exec),
       hdr AS (
         SELECT t.exec, e.epoch,
                CASE WHEN t.exec = $3 AND e.epoch = $4 THEN
                  (SELECT count(*) FROM ${q}.history h
                    WHERE h.instance_id = $1 AND h.execution_id = t.exec AND h.event_id <= $5) = $6
                ELSE FALSE END AS delta
           FROM target t
           LEFT JOIN ${q}.executions e ON e.instance_id = $1 AND e.execution_id = t.exec)
       SELECT hdr.exec, hdr.epoch, hdr.delta, h.event_data
         FROM hdr
         LEFT JOIN ${q}.history h
           ON h.instance_id = $1 AND h.execution_id = hdr.exec AND (NOT hdr.delta OR h.event_id > $5)
        ORDER BY h.event_id`,
      [instance, executionId, sent.executionId, sent.epoch, sent.lastEventId, sent.count],
    );
    const header = rows[0];
    if (header === undefined) return [];
    const dataRows = rows.filter((r): r is typeof r & { event_data: string } => r.event_data !== null);
    let returned: Event[];
    try {
      returned = decodeAll(op, instance, dataRows);
    } catch (err) {
      this.cache.drop(instance);
      throw err;
    }
    return this.cache.complete(
      instance,
      sent,
      { executionId: header.exec, epoch: header.epoch, delta: header.delta },
      returned,
    );
  }

  /** Appends events verbatim in one statement; a duplicate id fails the whole append. */
  async append(instance: string, executionId: number, events: Event[]): Promise<void> {
    const op = 'appendWithExecution';
    checkString(op, 'instance', instance);
    checkExecutionId(op, executionId);
    if (!Array.isArray(events)) throw invalidInput(op, 'events must be an array');
    const ids: number[] = [];
    const kinds: string[] = [];
    const data: string[] = [];
    for (const raw of events) {
      let event: Event;
      try {
        event = validateEvent(raw);
      } catch (err) {
        throw invalidInput(op, (err as Error).message);
      }
      const text = encodeEvent(event);
      checkPayloadSize(op, `event ${event.eventId} (${event.kind})`, text, this.maxPayloadBytes);
      ids.push(event.eventId);
      kinds.push(event.kind);
      data.push(text);
    }
    if (ids.length === 0) return;
    await this.db.query(
      op,
      'append',
      `INSERT INTO ${this.db.names.q}.history (instance_id, execution_id, event_id, event_kind, event_data, created_at)
       SELECT $1, $2, u.id, u.kind, u.data, $3 FROM unnest($4::BIGINT[], $5::TEXT[], $6::TEXT[]) AS u (id, kind, data)`,
      [instance, executionId, this.db.clock.now(), ids, kinds, data],
    );
  }

  /** The custom status when its version is above `lastSeenVersion`. */
  async customStatus(instance: string, lastSeenVersion: number): Promise<CustomStatusReading | null> {
    const op = 'getCustomStatus';
    checkString(op, 'instance', instance);
    if (typeof lastSeenVersion !== 'number' || !Number.isFinite(lastSeenVersion)) {
      throw invalidInput(op, `lastSeenVersion must be a number, got ${String(lastSeenVersion)}`);
    }
    const rows = await this.db.query<{ custom_status: string | null; custom_status_version: number }>(
      op,
      'custom_status',
      `SELECT custom_status, custom_status_version FROM ${this.db.names.q}.instances
        WHERE instance_id = $1 AND custom_status_version > $2`,
      [instance, Math.floor(lastSeenVersion)],
    );
    const row = rows[0];
    return row ? { customStatus: row.custom_status, version: row.custom_status_version } : null;
  }

  /** One KV value as clients see it: the current execution's write (or tombstone) over the merged store. */
  async kvValue(instance: string, key: string): Promise<string | null> {
    const op = 'getKvValue';
    checkString(op, 'instance', instance);
    checkString(op, 'key', key);
    const { q } = this.db.names;
    const rows = await this.db.query<{ value: string | null }>(
      op,
      'kv_value',
      `SELECT CASE WHEN d.instance_id IS NOT NULL THEN d.value ELSE s.value END AS value
         FROM (SELECT 1) one
         LEFT JOIN ${q}.kv_delta d ON d.instance_id = $1 AND d.key = $2
         LEFT JOIN ${q}.kv_store s ON s.instance_id = $1 AND s.key = $2`,
      [instance, key],
    );
    return rows[0]?.value ?? null;
  }

  /** Every KV value as clients see it. */
  async kvAll(instance: string): Promise<Record<string, string>> {
    const op = 'getKvAllValues';
    checkString(op, 'instance', instance);
    const { q } = this.db.names;
    const rows = await this.db.query<{ key: string; value: string }>(
      op,
      'kv_all',
      `SELECT key, value FROM ${q}.kv_delta WHERE instance_id = $1 AND value IS NOT NULL
       UNION ALL
       SELECT s.key, s.value FROM ${q}.kv_store s
        WHERE s.instance_id = $1
          AND NOT EXISTS (SELECT 1 FROM ${q}.kv_delta d WHERE d.instance_id = $1 AND d.key = s.key)
       ORDER BY key`,
      [instance],
    );
    const out: Record<string, string> = {};
    for (const row of rows) out[row.key] = row.value;
    return out;
  }

  /** Size figures for the current execution; null when the instance is unknown. */
  async stats(instance: string): Promise<InstanceStats | null> {
    const op = 'getInstanceStats';
    checkString(op, 'instance', instance);
    const { q } = this.db.names;
    const rows = await this.db.query<{
      events: number;
      bytes: number;
      pending: number;
      kv_keys: number;
      kv_bytes: number;
    }>(
      op,
      'stats',
      `SELECT
         (SELECT count(*) FROM ${q}.history h WHERE h.instance_id = $1 AND h.execution_id = c.cur) AS events,
         (SELECT COALESCE(sum(octet_length(h.event_data)), 0)::BIGINT FROM ${q}.history h
           WHERE h.instance_id = $1 AND h.execution_id = c.cur) AS bytes,
         (SELECT count(*) FROM ${q}.orchestrator_queue o WHERE o.instance_id = $1) AS pending,
         (SELECT count(*) FROM (
            SELECT d.key FROM ${q}.kv_delta d WHERE d.instance_id = $1 AND d.value IS NOT NULL
            UNION
            SELECT s.key FROM ${q}.kv_store s WHERE s.instance_id = $1
               AND NOT EXISTS (SELECT 1 FROM ${q}.kv_delta d WHERE d.instance_id = $1 AND d.key = s.key)) k) AS kv_keys,
         ((SELECT COALESCE(sum(octet_length(s.value)), 0) FROM ${q}.kv_store s WHERE s.instance_id = $1)
          + (SELECT COALESCE(sum(octet_length(d.value)), 0) FROM ${q}.kv_delta d WHERE d.instance_id = $1))::BIGINT AS kv_bytes
       FROM (SELECT COALESCE((SELECT current_execution_id FROM ${q}.instances WHERE instance_id = $1),
                             (SELECT MAX(execution_id) FROM ${q}.executions WHERE instance_id = $1)) AS cur) c
       WHERE c.cur IS NOT NULL`,
      [instance],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      historyEventCount: row.events,
      historySizeBytes: row.bytes,
      queuePendingCount: row.pending,
      kvUserKeyCount: row.kv_keys,
      kvTotalValueBytes: row.kv_bytes,
    };
  }
}

/** Decodes stored events; an undecodable row is a permanent error naming the instance (never skipped). */
export function decodeAll(op: string, instance: string, rows: { event_data: string }[]): Event[] {
  try {
    return rows.map((row) => decodeEvent(row.event_data));
  } catch (err) {
    throw ProviderError.permanent(op, `instance '${instance}': ${(err as Error).message}`, err);
  }
}

/** Validates an execution id argument. */
export function checkExecutionId(op: string, executionId: unknown): number {
  if (typeof executionId !== 'number' || !Number.isSafeInteger(executionId) || executionId < 0) {
    throw invalidInput(op, `executionId must be a non-negative integer, got ${String(executionId)}`);
  }
  return executionId;
}
