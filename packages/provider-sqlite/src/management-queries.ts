import {
  type ExecutionInfo,
  type ExecutionStatus,
  type InstanceInfo,
  type InstanceStats,
  ProviderError,
  type QueueDepths,
  type SystemMetrics,
} from '@duroxide/core';
import type Database from 'better-sqlite3';
import type { StoreContext } from './history-store.js';
import type { KvStore } from './kv-store.js';

/** The permanent "not found" error of management calls. */
export function notFound(operation: string, instance: string): ProviderError {
  return ProviderError.permanent(operation, `instance '${instance}' not found`);
}

interface InfoRow {
  instance_id: string;
  orchestration_name: string;
  orchestration_version: string | null;
  current_execution_id: number;
  created_at: number;
  updated_at: number;
  parent_instance_id: string | null;
  status: ExecutionStatus | null;
  output: string | null;
}

interface ExecutionRow {
  execution_id: number;
  status: ExecutionStatus;
  output: string | null;
  started_at: number;
  completed_at: number | null;
  event_count: number;
}

const CURRENT_EXECUTION_JOIN =
  'LEFT JOIN executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id';

/** Read-only management queries (lists, info, metrics, depths, hierarchy, stats). */
export class ManagementQueries {
  private readonly listStmt: Database.Statement<[], { instance_id: string }>;
  private readonly byStatusStmt: Database.Statement<[string], { instance_id: string }>;
  private readonly executionsStmt: Database.Statement<[string], { execution_id: number }>;
  private readonly infoStmt: Database.Statement<[string], InfoRow>;
  private readonly executionStmt: Database.Statement<[string, number], ExecutionRow>;
  private readonly countsStmt: Database.Statement<[], Record<string, number | null>>;
  private readonly depthsStmt: Database.Statement<[{ now: number }], { orch: number; worker: number }>;
  private readonly childrenStmt: Database.Statement<[string], { instance_id: string }>;
  private readonly parentStmt: Database.Statement<[string], { parent_instance_id: string | null }>;
  private readonly treeStmt: Database.Statement<[string], { id: string }>;
  private readonly currentStmt: Database.Statement<[string, string], { id: number | null }>;
  private readonly historyStatsStmt: Database.Statement<[string, number], { n: number; bytes: number }>;
  private readonly pendingStmt: Database.Statement<[string], { n: number }>;
  private readonly kvBytesStmt: Database.Statement<[string, string], { bytes: number }>;
  private readonly statsTx: Database.Transaction<(instance: string) => InstanceStats | null>;

  constructor(
    ctx: StoreContext,
    private readonly kv: KvStore,
  ) {
    const { db } = ctx;
    this.listStmt = db.prepare('SELECT instance_id FROM instances ORDER BY created_at DESC, rowid DESC');
    this.byStatusStmt = db.prepare(
      `SELECT i.instance_id FROM instances i ${CURRENT_EXECUTION_JOIN}
       WHERE COALESCE(e.status, 'Running') = ? ORDER BY i.created_at DESC, i.rowid DESC`,
    );
    this.executionsStmt = db.prepare(
      'SELECT execution_id FROM executions WHERE instance_id = ? ORDER BY execution_id',
    );
    this.infoStmt = db.prepare(
      `SELECT i.instance_id, i.orchestration_name, i.orchestration_version, i.current_execution_id,
         i.created_at, i.updated_at, i.parent_instance_id, e.status, e.output
       FROM instances i ${CURRENT_EXECUTION_JOIN} WHERE i.instance_id = ?`,
    );
    this.executionStmt = db.prepare(
      `SELECT e.execution_id, e.status, e.output, e.started_at, e.completed_at,
         (SELECT COUNT(*) FROM history h WHERE h.instance_id = e.instance_id
            AND h.execution_id = e.execution_id) AS event_count
       FROM executions e WHERE e.instance_id = ? AND e.execution_id = ?`,
    );
    this.countsStmt = db.prepare(
      `SELECT (SELECT COUNT(*) FROM instances) AS total_instances,
         (SELECT COUNT(*) FROM executions) AS total_executions,
         (SELECT COUNT(*) FROM history) AS total_events,
         SUM(COALESCE(e.status, 'Running') = 'Running') AS running,
         SUM(e.status = 'Completed') AS completed,
         SUM(e.status = 'Failed') AS failed
       FROM instances i ${CURRENT_EXECUTION_JOIN}`,
    );
    // A message is "locked" while it is in the batch of a live instance lock; everything else is pending.
    this.depthsStmt = db.prepare(
      `SELECT (SELECT COUNT(*) FROM orchestrator_queue q WHERE NOT EXISTS
                 (SELECT 1 FROM instance_locks l WHERE l.instance_id = q.instance_id
                    AND q.id <= l.batch_max_id AND q.visible_at <= l.locked_at
                    AND l.locked_until > @now)) AS orch,
              (SELECT COUNT(*) FROM worker_queue w WHERE w.lock_token IS NULL OR w.locked_until <= @now) AS worker`,
    );
    this.childrenStmt = db.prepare(
      'SELECT instance_id FROM instances WHERE parent_instance_id = ? ORDER BY created_at, rowid',
    );
    this.parentStmt = db.prepare('SELECT parent_instance_id FROM instances WHERE instance_id = ?');
    // UNION (not UNION ALL) drops repeats, so even a corrupted parent cycle terminates.
    this.treeStmt = db.prepare(
      `WITH RECURSIVE tree(id) AS (
         SELECT ? UNION SELECT i.instance_id FROM instances i JOIN tree t ON i.parent_instance_id = t.id)
       SELECT id FROM tree`,
    );
    this.currentStmt = db.prepare(
      `SELECT COALESCE((SELECT current_execution_id FROM instances WHERE instance_id = ?),
                       (SELECT MAX(execution_id) FROM executions WHERE instance_id = ?)) AS id`,
    );
    this.historyStatsStmt = db.prepare(
      `SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(CAST(event_data AS BLOB))), 0) AS bytes
       FROM history WHERE instance_id = ? AND execution_id = ?`,
    );
    this.pendingStmt = db.prepare('SELECT COUNT(*) AS n FROM orchestrator_queue WHERE instance_id = ?');
    this.kvBytesStmt = db.prepare(
      `SELECT (SELECT COALESCE(SUM(LENGTH(CAST(value AS BLOB))), 0) FROM kv_store WHERE instance_id = ?)
            + (SELECT COALESCE(SUM(LENGTH(CAST(value AS BLOB))), 0) FROM kv_delta WHERE instance_id = ?) AS bytes`,
    );
    this.statsTx = db.transaction((instance) => this.readStats(instance));
  }

  /** Every instance id, newest first. */
  listInstances(): string[] {
    return this.listStmt.all().map((r) => r.instance_id);
  }

  /** Instances whose current execution has this status. */
  listInstancesByStatus(status: ExecutionStatus): string[] {
    return this.byStatusStmt.all(status).map((r) => r.instance_id);
  }

  /** Execution ids, ascending. */
  listExecutions(instance: string): number[] {
    return this.executionsStmt.all(instance).map((r) => r.execution_id);
  }

  /** Instance metadata with the current execution's status and output. */
  getInstanceInfo(operation: string, instance: string): InstanceInfo {
    const row = this.infoStmt.get(instance);
    if (!row) throw notFound(operation, instance);
    return {
      instanceId: row.instance_id,
      orchestrationName: row.orchestration_name,
      orchestrationVersion: row.orchestration_version ?? 'unknown',
      currentExecutionId: row.current_execution_id,
      status: row.status ?? 'Running',
      output: row.output,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      parentInstanceId: row.parent_instance_id,
    };
  }

  /** One execution's metadata. */
  getExecutionInfo(operation: string, instance: string, executionId: number): ExecutionInfo {
    const row = this.executionStmt.get(instance, executionId);
    if (!row) {
      throw ProviderError.permanent(
        operation,
        `execution ${executionId} of instance '${instance}' not found`,
      );
    }
    return {
      executionId: row.execution_id,
      status: row.status,
      output: row.output,
      startedAt: row.started_at,
      completedAt: row.completed_at,
      eventCount: row.event_count,
    };
  }

  /** Store-wide counts. */
  getSystemMetrics(): SystemMetrics {
    const r = this.countsStmt.get() ?? {};
    return {
      totalInstances: r.total_instances ?? 0,
      totalExecutions: r.total_executions ?? 0,
      runningInstances: r.running ?? 0,
      completedInstances: r.completed ?? 0,
      failedInstances: r.failed ?? 0,
      totalEvents: r.total_events ?? 0,
    };
  }

  /** Queue rows not held by a live lock (delayed rows included); timers live in the orchestrator queue. */
  getQueueDepths(now: number): QueueDepths {
    const r = this.depthsStmt.get({ now });
    return { orchestratorQueue: r?.orch ?? 0, workerQueue: r?.worker ?? 0, timerQueue: 0 };
  }

  /** Direct children. */
  listChildren(instance: string): string[] {
    return this.childrenStmt.all(instance).map((r) => r.instance_id);
  }

  /** The parent id (null for a root); throws "not found" for an unknown instance. */
  getParentId(operation: string, instance: string): string | null {
    const row = this.parentStmt.get(instance);
    if (!row) throw notFound(operation, instance);
    return row.parent_instance_id;
  }

  /** The instance and all its descendants, breadth first (just the id when it has none or is unknown). */
  treeIds(instance: string): string[] {
    return this.treeStmt.all(instance).map((r) => r.id);
  }

  /** Size figures for the current execution (one read transaction); null when the instance is unknown. */
  getInstanceStats(instance: string): InstanceStats | null {
    return this.statsTx.deferred(instance);
  }

  private readStats(instance: string): InstanceStats | null {
    const current = this.currentStmt.get(instance, instance)?.id ?? null;
    if (current === null) return null;
    const history = this.historyStatsStmt.get(instance, current);
    return {
      historyEventCount: history?.n ?? 0,
      historySizeBytes: history?.bytes ?? 0,
      queuePendingCount: this.pendingStmt.get(instance)?.n ?? 0,
      kvUserKeyCount: Object.keys(this.kv.getAllValues(instance)).length,
      kvTotalValueBytes: this.kvBytesStmt.get(instance, instance)?.bytes ?? 0,
    };
  }
}
