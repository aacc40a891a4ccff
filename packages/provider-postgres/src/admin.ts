import {
  type DeleteInstanceResult,
  type Event,
  type ExecutionInfo,
  type ExecutionStatus,
  type InstanceFilter,
  type InstanceInfo,
  type InstanceTree,
  type ProviderAdmin,
  ProviderError,
  type PruneOptions,
  type PruneResult,
  type QueueDepths,
  type SystemMetrics,
} from '@duroxide/core';
import type { Db } from './db.js';
import { checkString, invalidInput } from './errors.js';
import { checkExecutionId, type ReadOps } from './read-ops.js';

interface DeleteRow {
  o_instances: number;
  o_executions: number;
  o_events: number;
  o_messages: number;
}

const STATUSES: readonly ExecutionStatus[] = ['Running', 'Completed', 'Failed', 'ContinuedAsNew'];

/** The management capability: listing, inspection, deletes and prunes, each one statement or function. */
export class PostgresAdmin implements ProviderAdmin {
  constructor(
    private readonly db: Db,
    private readonly reads: ReadOps,
  ) {}

  /** See `ProviderAdmin.listInstances`. */
  async listInstances(): Promise<string[]> {
    const rows = await this.db.query<{ instance_id: string }>(
      'listInstances',
      'list_instances',
      `SELECT instance_id FROM ${this.db.names.q}.instances ORDER BY created_at DESC, instance_id DESC`,
      [],
    );
    return rows.map((r) => r.instance_id);
  }

  /** See `ProviderAdmin.listInstancesByStatus`. */
  async listInstancesByStatus(status: ExecutionStatus): Promise<string[]> {
    const op = 'listInstancesByStatus';
    if (!STATUSES.includes(status)) throw invalidInput(op, `status must be one of ${STATUSES.join(', ')}`);
    const { q } = this.db.names;
    const rows = await this.db.query<{ instance_id: string }>(
      op,
      'list_by_status',
      `SELECT i.instance_id FROM ${q}.instances i
         JOIN ${q}.executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
        WHERE e.status = $1 ORDER BY i.created_at DESC, i.instance_id DESC`,
      [status],
    );
    return rows.map((r) => r.instance_id);
  }

  /** See `ProviderAdmin.listExecutions`. */
  async listExecutions(instance: string): Promise<number[]> {
    const op = 'listExecutions';
    checkString(op, 'instance', instance);
    const rows = await this.db.query<{ execution_id: number }>(
      op,
      'list_executions',
      `SELECT execution_id FROM ${this.db.names.q}.executions WHERE instance_id = $1 ORDER BY execution_id`,
      [instance],
    );
    return rows.map((r) => r.execution_id);
  }

  /** See `ProviderAdmin.readHistoryWithExecutionId`. */
  readHistoryWithExecutionId(instance: string, executionId: number): Promise<Event[]> {
    return this.reads.readWithExecution(instance, executionId, 'readHistoryWithExecutionId');
  }

  /** See `ProviderAdmin.readHistory`. */
  readHistory(instance: string): Promise<Event[]> {
    return this.reads.read(instance, 'readHistory');
  }

  /** See `ProviderAdmin.latestExecutionId`. */
  async latestExecutionId(instance: string): Promise<number> {
    const op = 'latestExecutionId';
    checkString(op, 'instance', instance);
    const rows = await this.db.query<{ id: number }>(
      op,
      'latest_execution',
      `SELECT COALESCE(MAX(execution_id), 1) AS id FROM ${this.db.names.q}.executions WHERE instance_id = $1`,
      [instance],
    );
    return rows[0]?.id ?? 1;
  }

  /** See `ProviderAdmin.getInstanceInfo`. */
  async getInstanceInfo(instance: string): Promise<InstanceInfo> {
    const op = 'getInstanceInfo';
    checkString(op, 'instance', instance);
    const { q } = this.db.names;
    const rows = await this.db.query<{
      orchestration_name: string;
      orchestration_version: string | null;
      current_execution_id: number;
      status: ExecutionStatus | null;
      output: string | null;
      created_at: number;
      updated_at: number;
      parent_instance_id: string | null;
    }>(
      op,
      'instance_info',
      `SELECT i.orchestration_name, i.orchestration_version, i.current_execution_id, e.status, e.output,
              i.created_at, i.updated_at, i.parent_instance_id
         FROM ${q}.instances i
         LEFT JOIN ${q}.executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
        WHERE i.instance_id = $1`,
      [instance],
    );
    const row = rows[0];
    if (!row) throw notFound(op, instance);
    return {
      instanceId: instance,
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

  /** See `ProviderAdmin.getExecutionInfo`. */
  async getExecutionInfo(instance: string, executionId: number): Promise<ExecutionInfo> {
    const op = 'getExecutionInfo';
    checkString(op, 'instance', instance);
    checkExecutionId(op, executionId);
    const { q } = this.db.names;
    const rows = await this.db.query<{
      status: ExecutionStatus;
      output: string | null;
      started_at: number;
      completed_at: number | null;
      events: number;
    }>(
      op,
      'execution_info',
      `SELECT e.status, e.output, e.started_at, e.completed_at,
              (SELECT count(*) FROM ${q}.history h WHERE h.instance_id = e.instance_id AND h.execution_id = e.execution_id) AS events
         FROM ${q}.executions e WHERE e.instance_id = $1 AND e.execution_id = $2`,
      [instance, executionId],
    );
    const row = rows[0];
    if (!row) {
      throw ProviderError.permanent(op, `Execution ${executionId} of instance '${instance}' not found`);
    }
    return {
      executionId,
      status: row.status,
      output: row.output,
      startedAt: row.started_at,
      completedAt: row.completed_at,
      eventCount: row.events,
    };
  }

  /** See `ProviderAdmin.getSystemMetrics`. */
  async getSystemMetrics(): Promise<SystemMetrics> {
    const { q } = this.db.names;
    const rows = await this.db.query<{
      total_instances: number;
      total_executions: number;
      running: number;
      completed: number;
      failed: number;
      total_events: number;
    }>(
      'getSystemMetrics',
      'system_metrics',
      `SELECT (SELECT count(*) FROM ${q}.instances) AS total_instances,
              (SELECT count(*) FROM ${q}.executions) AS total_executions,
              count(*) FILTER (WHERE e.status = 'Running') AS running,
              count(*) FILTER (WHERE e.status = 'Completed') AS completed,
              count(*) FILTER (WHERE e.status = 'Failed') AS failed,
              (SELECT count(*) FROM ${q}.history) AS total_events
         FROM ${q}.instances i
         LEFT JOIN ${q}.executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id`,
      [],
    );
    const row = rows[0];
    return {
      totalInstances: row?.total_instances ?? 0,
      totalExecutions: row?.total_executions ?? 0,
      runningInstances: row?.running ?? 0,
      completedInstances: row?.completed ?? 0,
      failedInstances: row?.failed ?? 0,
      totalEvents: row?.total_events ?? 0,
    };
  }

  /** See `ProviderAdmin.getQueueDepths`: visible rows not held by a live lock. */
  async getQueueDepths(): Promise<QueueDepths> {
    const { q } = this.db.names;
    const rows = await this.db.query<{ orch: number; work: number }>(
      'getQueueDepths',
      'queue_depths',
      `SELECT
         (SELECT count(*) FROM ${q}.orchestrator_queue o
           WHERE o.visible_at <= $1
             AND NOT EXISTS (SELECT 1 FROM ${q}.instance_locks l
                              WHERE l.instance_id = o.instance_id AND l.lock_token = o.lock_token AND l.locked_until > $1)) AS orch,
         (SELECT count(*) FROM ${q}.worker_queue w
           WHERE w.visible_at <= $1 AND (w.lock_token IS NULL OR w.locked_until <= $1)) AS work`,
      [this.db.clock.now()],
    );
    return { orchestratorQueue: rows[0]?.orch ?? 0, workerQueue: rows[0]?.work ?? 0, timerQueue: 0 };
  }

  /** See `ProviderAdmin.listChildren`. */
  async listChildren(instance: string): Promise<string[]> {
    const op = 'listChildren';
    checkString(op, 'instance', instance);
    const rows = await this.db.query<{ instance_id: string }>(
      op,
      'list_children',
      `SELECT instance_id FROM ${this.db.names.q}.instances WHERE parent_instance_id = $1 ORDER BY created_at, instance_id`,
      [instance],
    );
    return rows.map((r) => r.instance_id);
  }

  /** See `ProviderAdmin.getParentId`. */
  async getParentId(instance: string): Promise<string | null> {
    const op = 'getParentId';
    checkString(op, 'instance', instance);
    const rows = await this.db.query<{ parent_instance_id: string | null }>(
      op,
      'parent_id',
      `SELECT parent_instance_id FROM ${this.db.names.q}.instances WHERE instance_id = $1`,
      [instance],
    );
    const row = rows[0];
    if (!row) throw notFound(op, instance);
    return row.parent_instance_id;
  }

  /** See `ProviderAdmin.getInstanceTree`: one recursive query. */
  async getInstanceTree(instance: string): Promise<InstanceTree> {
    const op = 'getInstanceTree';
    checkString(op, 'instance', instance);
    const rows = await this.db.query<{ ids: string[] }>(
      op,
      'instance_tree',
      `SELECT ${this.db.names.q}.instance_tree($1) AS ids`,
      [instance],
    );
    const allIds = rows[0]?.ids ?? [instance];
    return { rootId: instance, allIds, size: allIds.length };
  }

  /** See `ProviderAdmin.deleteInstancesAtomic`. */
  async deleteInstancesAtomic(ids: string[], force: boolean): Promise<DeleteInstanceResult> {
    const op = 'deleteInstancesAtomic';
    if (!Array.isArray(ids)) throw invalidInput(op, 'ids must be an array of instance ids');
    const checked = ids.map((id) => checkString(op, 'ids[]', id));
    return this.deleteCall(op, 'delete_instances', 'delete_instances($1, $2)', [checked, force === true]);
  }

  /** See `ProviderAdmin.deleteInstance`. */
  async deleteInstance(instance: string, force: boolean): Promise<DeleteInstanceResult> {
    const op = 'deleteInstance';
    checkString(op, 'instance', instance);
    return this.deleteCall(op, 'delete_tree', 'delete_tree($1, $2)', [instance, force === true]);
  }

  /** See `ProviderAdmin.deleteInstanceBulk`. */
  async deleteInstanceBulk(filter: InstanceFilter): Promise<DeleteInstanceResult> {
    const op = 'deleteInstanceBulk';
    const [ids, before, limit] = filterParams(op, filter);
    return this.deleteCall(op, 'delete_bulk', 'delete_instance_bulk($1, $2, $3)', [ids, before, limit]);
  }

  /** See `ProviderAdmin.pruneExecutions`. */
  async pruneExecutions(instance: string, options: PruneOptions): Promise<PruneResult> {
    const op = 'pruneExecutions';
    checkString(op, 'instance', instance);
    const [keep, before] = pruneParams(op, options);
    const rows = await this.db.query<{ o_executions: number; o_events: number }>(
      op,
      'prune',
      `SELECT * FROM ${this.db.names.q}.prune_executions($1, $2, $3)`,
      [instance, keep, before],
    );
    return {
      instancesProcessed: 1,
      executionsDeleted: rows[0]?.o_executions ?? 0,
      eventsDeleted: rows[0]?.o_events ?? 0,
    };
  }

  /** See `ProviderAdmin.pruneExecutionsBulk`. */
  async pruneExecutionsBulk(filter: InstanceFilter, options: PruneOptions): Promise<PruneResult> {
    const op = 'pruneExecutionsBulk';
    const [ids, before, limit] = filterParams(op, filter);
    const [keep, pruneBefore] = pruneParams(op, options);
    const rows = await this.db.query<{ o_instances: number; o_executions: number; o_events: number }>(
      op,
      'prune_bulk',
      `SELECT * FROM ${this.db.names.q}.prune_executions_bulk($1, $2, $3, $4, $5)`,
      [ids, before, limit, keep, pruneBefore],
    );
    const row = rows[0];
    return {
      instancesProcessed: row?.o_instances ?? 0,
      executionsDeleted: row?.o_executions ?? 0,
      eventsDeleted: row?.o_events ?? 0,
    };
  }

  private async deleteCall(
    op: string,
    name: string,
    call: string,
    values: unknown[],
  ): Promise<DeleteInstanceResult> {
    const rows = await this.db.query<DeleteRow>(op, name, `SELECT * FROM ${this.db.names.q}.${call}`, values);
    const row = rows[0];
    return {
      instancesDeleted: row?.o_instances ?? 0,
      executionsDeleted: row?.o_executions ?? 0,
      eventsDeleted: row?.o_events ?? 0,
      queueMessagesDeleted: row?.o_messages ?? 0,
    };
  }
}

function notFound(op: string, instance: string): ProviderError {
  return ProviderError.permanent(op, `Instance '${instance}' not found`);
}

function filterParams(op: string, filter: InstanceFilter): [string[] | null, number | null, number] {
  if (typeof filter !== 'object' || filter === null) throw invalidInput(op, 'filter must be an object');
  let ids: string[] | null = null;
  if (filter.instanceIds !== undefined) {
    if (!Array.isArray(filter.instanceIds)) throw invalidInput(op, 'filter.instanceIds must be an array');
    ids = filter.instanceIds.map((id) => checkString(op, 'filter.instanceIds[]', id));
  }
  const before = optionalInteger(op, 'filter.completedBefore', filter.completedBefore);
  const limit = optionalInteger(op, 'filter.limit', filter.limit) ?? 1000;
  return [ids, before, limit];
}

function pruneParams(op: string, options: PruneOptions): [number | null, number | null] {
  if (typeof options !== 'object' || options === null) throw invalidInput(op, 'options must be an object');
  return [
    optionalInteger(op, 'options.keepLast', options.keepLast),
    optionalInteger(op, 'options.completedBefore', options.completedBefore),
  ];
}

function optionalInteger(op: string, name: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidInput(op, `${name} must be a non-negative number, got ${String(value)}`);
  }
  return Math.floor(value);
}
