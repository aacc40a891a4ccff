import {
  type DispatcherCapabilityFilter,
  decodeEvent,
  decodeWorkItem,
  type Event,
  type FetchedOrchestrationItem,
  type OrchestratorItem,
  type Semver,
  tryParseSemver,
} from '@duroxide/core';
import type Database from 'better-sqlite3';
import { invalidInput } from './errors.js';
import { inGroupOr } from './group-commit.js';
import { type HistoryStore, newLockToken, type StoreContext } from './history-store.js';
import type { InstanceRows } from './instance-rows.js';
import type { KvStore } from './kv-store.js';
import type { MessageRow, OrchestratorQueue } from './orchestrator-queue.js';

/** The first supported range of a capability filter, parsed. */
export interface VersionRange {
  min: Semver;
  max: Semver;
}

interface Metadata {
  name: string;
  version: string;
  executionId: number;
}

interface CandidateParams {
  now: number;
  skip: string;
  minMajor?: number;
  minMinor?: number;
  minPatch?: number;
  maxMajor?: number;
  maxMinor?: number;
  maxPatch?: number;
}

const CANDIDATE_SQL = `
  SELECT q.instance_id AS instance_id FROM orchestrator_queue q
  WHERE q.visible_at <= @now
    AND NOT EXISTS (SELECT 1 FROM instance_locks l WHERE l.instance_id = q.instance_id AND l.locked_until > @now)
    AND q.instance_id NOT IN (SELECT value FROM json_each(@skip))`;

// Only the pinned version of the current execution counts; NULL (never pinned) is always compatible.
const VERSION_FILTER_SQL = `
    AND NOT EXISTS (
      SELECT 1 FROM executions e
      WHERE e.instance_id = q.instance_id
        AND e.execution_id = COALESCE(
          (SELECT i.current_execution_id FROM instances i WHERE i.instance_id = q.instance_id),
          (SELECT MAX(e2.execution_id) FROM executions e2 WHERE e2.instance_id = q.instance_id))
        AND e.pinned_major IS NOT NULL
        AND NOT ((e.pinned_major, e.pinned_minor, e.pinned_patch) >= (@minMajor, @minMinor, @minPatch)
             AND (e.pinned_major, e.pinned_minor, e.pinned_patch) <= (@maxMajor, @maxMinor, @maxPatch)))`;

/** Safety bound on instances skipped in one fetch (orphans whose metadata cannot be resolved yet). */
const MAX_CANDIDATES = 1000;

/** Parses the filter's first range (duroxide's phase-1 rule); null for no filter, 'none' for an empty list. */
export function parseFilter(
  operation: string,
  filter: DispatcherCapabilityFilter | null | undefined,
): VersionRange | null | 'none' {
  if (filter === null || filter === undefined) return null;
  const ranges = (filter as Partial<DispatcherCapabilityFilter>).supportedDuroxideVersions;
  if (!Array.isArray(ranges)) {
    throw invalidInput(operation, 'filter.supportedDuroxideVersions must be an array of { min, max } ranges');
  }
  const first = ranges[0];
  if (first === undefined) return 'none';
  const min = typeof first?.min === 'string' ? tryParseSemver(first.min) : null;
  const max = typeof first?.max === 'string' ? tryParseSemver(first.max) : null;
  if (!min || !max) {
    throw invalidInput(operation, `filter range ${JSON.stringify(first)} is not a pair of semantic versions`);
  }
  return { min, max };
}

/** `fetchOrchestrationItem`: pick, lock and load one instance's batch in one immediate transaction. */
export class OrchestrationFetcher {
  private readonly candidateStmt: Database.Statement<[CandidateParams], { instance_id: string }>;
  private readonly filteredStmt: Database.Statement<[CandidateParams], { instance_id: string }>;
  private readonly startedStmt: Database.Statement<[string, number], { event_data: string }>;
  private readonly tx: Database.Transaction<
    (lockTimeoutMs: number, range: VersionRange | null) => FetchedOrchestrationItem | null
  >;

  constructor(
    private readonly ctx: StoreContext,
    private readonly queue: OrchestratorQueue,
    private readonly history: HistoryStore,
    private readonly instances: InstanceRows,
    private readonly kv: KvStore,
  ) {
    const { db } = ctx;
    // (visible_at, id) walks idx_orch_visible in order and stops at the first eligible row; `ORDER BY id`
    // made SQLite sort every visible row on each fetch (cost grew with the queue).
    this.candidateStmt = db.prepare(`${CANDIDATE_SQL} ORDER BY q.visible_at, q.id LIMIT 1`);
    this.filteredStmt = db.prepare(
      `${CANDIDATE_SQL} ${VERSION_FILTER_SQL} ORDER BY q.visible_at, q.id LIMIT 1`,
    );
    this.startedStmt = db.prepare(
      `SELECT event_data FROM history WHERE instance_id = ? AND execution_id = ?
         AND event_kind = 'OrchestrationStarted' ORDER BY event_id LIMIT 1`,
    );
    this.tx = db.transaction((lockTimeoutMs, range) => this.fetchInTransaction(lockTimeoutMs, range));
  }

  /** Locks the oldest eligible instance's visible batch; null when there is no eligible work. */
  fetch(lockTimeoutMs: number, range: VersionRange | null): FetchedOrchestrationItem | null {
    return inGroupOr(this.ctx.db, this.tx, (l, r) => this.fetchInTransaction(l, r), lockTimeoutMs, range);
  }

  private fetchInTransaction(
    lockTimeoutMs: number,
    range: VersionRange | null,
  ): FetchedOrchestrationItem | null {
    const now = this.ctx.clock.now();
    const skipped: string[] = [];
    for (let i = 0; i < MAX_CANDIDATES; i++) {
      const params: CandidateParams = { now, skip: JSON.stringify(skipped) };
      if (range) {
        Object.assign(params, {
          minMajor: range.min.major,
          minMinor: range.min.minor,
          minPatch: range.min.patch,
          maxMajor: range.max.major,
          maxMinor: range.max.minor,
          maxPatch: range.max.patch,
        });
      }
      const candidate = (range ? this.filteredStmt : this.candidateStmt).get(params);
      if (!candidate) return null;
      const instance = candidate.instance_id;
      const rows = this.queue.visibleMessages(instance, now);
      const { messages, errors } = decodeMessages(instance, rows);
      const meta = this.resolveMetadata(instance, messages);
      if (!meta) {
        if (errors.length === 0 && messages.every((m) => m.kind === 'QueueMessage')) {
          // Persistent-queue messages for an instance that never started would spin forever: drop them.
          for (const row of rows) this.queue.deleteMessage(row.id);
        } else {
          // Completions racing their instance's start stay queued; look further down the queue.
          skipped.push(instance);
        }
        continue;
      }
      const token = newLockToken();
      const maxId = rows.reduce((max, row) => Math.max(max, row.id), 0);
      if (!this.queue.acquireLock(instance, token, now + lockTimeoutMs, now, maxId)) {
        skipped.push(instance);
        continue;
      }
      this.queue.countDelivery(instance, maxId, now);
      const attemptCount = rows.reduce((max, row) => Math.max(max, row.attempt_count + 1), 1);
      const loaded = this.history.tryReadExecutionCached(
        instance,
        meta.executionId,
        'fetchOrchestrationItem',
      );
      const problems = [...('error' in loaded ? [loaded.error.message] : []), ...errors];
      const history: Event[] = problems.length === 0 && 'events' in loaded ? loaded.events : [];
      return {
        item: {
          instance,
          orchestrationName: meta.name,
          executionId: meta.executionId,
          version: meta.version,
          history,
          messages,
          historyError: problems.length === 0 ? null : problems.join('; '),
          kvSnapshot: this.kv.snapshot(instance),
        },
        lockToken: token,
        attemptCount,
      };
    }
    return null;
  }

  /** Name, version and current execution: from the instance row, else stored history, else the batch. */
  private resolveMetadata(instance: string, messages: OrchestratorItem[]): Metadata | null {
    const row = this.instances.getInstance(instance);
    if (row) {
      return {
        name: row.orchestration_name,
        version: row.orchestration_version ?? 'unknown',
        executionId: row.current_execution_id,
      };
    }
    const latest = this.history.latestExecutionId(instance);
    const started = this.startedStmt.get(instance, latest);
    if (started) {
      try {
        const event = decodeEvent(started.event_data);
        if (event.kind === 'OrchestrationStarted') {
          return { name: event.name, version: event.version, executionId: latest };
        }
      } catch {
        // An unreadable start event: fall back to the batch; the history error surfaces below.
      }
    }
    for (const message of messages) {
      if (message.kind === 'StartOrchestration' || message.kind === 'ContinueAsNew') {
        return { name: message.orchestration, version: message.version ?? 'unknown', executionId: 1 };
      }
    }
    return null;
  }
}

/** Decodes queue rows; undecodable rows are reported by table and id instead of aborting the fetch. */
function decodeMessages(
  instance: string,
  rows: MessageRow[],
): { messages: OrchestratorItem[]; errors: string[] } {
  const messages: OrchestratorItem[] = [];
  const errors: string[] = [];
  for (const row of rows) {
    const name = `orchestrator_queue row ${row.id} (instance '${instance}')`;
    try {
      const item = decodeWorkItem(row.work_item, name);
      if (item.kind === 'ActivityExecute')
        throw new Error(`corrupt ${name}: ActivityExecute in the orchestrator queue`);
      messages.push(item);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  return { messages, errors };
}
