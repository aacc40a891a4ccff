import {
  type DeleteInstanceResult,
  type InstanceFilter,
  ProviderError,
  type PruneOptions,
  type PruneResult,
} from '@duroxide/core';
import type Database from 'better-sqlite3';
import { invalidInput } from './errors.js';
import type { StoreContext } from './history-store.js';
import { type ManagementQueries, notFound } from './management-queries.js';

const IN_IDS = 'instance_id IN (SELECT value FROM json_each(?))';
const ZERO_DELETE: DeleteInstanceResult = {
  instancesDeleted: 0,
  executionsDeleted: 0,
  eventsDeleted: 0,
  queueMessagesDeleted: 0,
};

interface FilterParams {
  ids: string | null;
  before: number | null;
  limit: number;
}

/** Deletion (with cascade and orphan checks) and pruning; every public method is one transaction. */
export class ManagementDeletes {
  private readonly runningStmt: Database.Statement<[string], { instance_id: string }>;
  private readonly orphanStmt: Database.Statement<[string, string], { instance_id: string; parent: string }>;
  private readonly deleteStmts: Record<string, Database.Statement<[string]>>;
  private readonly bulkRootsStmt: Database.Statement<[FilterParams], { instance_id: string }>;
  private readonly pruneTargetsStmt: Database.Statement<[FilterParams], { instance_id: string }>;
  private readonly prunableStmt: Database.Statement<
    [{ instance: string; current: number; keep: number; before: number | null }],
    { execution_id: number }
  >;
  private readonly deleteHistoryStmt: Database.Statement<[string, number]>;
  private readonly deleteExecutionStmt: Database.Statement<[string, number]>;
  private readonly currentStmt: Database.Statement<[string, string], { id: number | null }>;
  private readonly deleteTx: Database.Transaction<(ids: string[], force: boolean) => DeleteInstanceResult>;
  private readonly deleteTreeTx: Database.Transaction<
    (instance: string, force: boolean) => DeleteInstanceResult
  >;
  private readonly bulkTx: Database.Transaction<(params: FilterParams) => DeleteInstanceResult>;
  private readonly pruneTx: Database.Transaction<(instance: string, options: PruneOptions) => PruneResult>;
  private readonly pruneBulkTx: Database.Transaction<
    (params: FilterParams, options: PruneOptions) => PruneResult
  >;

  constructor(
    ctx: StoreContext,
    private readonly queries: ManagementQueries,
  ) {
    const { db } = ctx;
    this.runningStmt = db.prepare(
      `SELECT i.instance_id FROM instances i LEFT JOIN executions e
         ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
       WHERE i.${IN_IDS} AND COALESCE(e.status, 'Running') = 'Running' LIMIT 1`,
    );
    this.orphanStmt = db.prepare(
      `SELECT instance_id, parent_instance_id AS parent FROM instances
       WHERE parent_instance_id IN (SELECT value FROM json_each(?))
         AND instance_id NOT IN (SELECT value FROM json_each(?)) LIMIT 1`,
    );
    const tables = ['history', 'executions', 'orchestrator_queue', 'worker_queue', 'instance_locks'];
    this.deleteStmts = Object.fromEntries(
      [...tables, 'kv_store', 'kv_delta', 'instances'].map((t) => [
        t,
        db.prepare(`DELETE FROM ${t} WHERE ${IN_IDS}`),
      ]),
    );
    this.bulkRootsStmt = db.prepare(
      `SELECT i.instance_id FROM instances i JOIN executions e
         ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
       WHERE i.parent_instance_id IS NULL AND e.status IN ('Completed', 'Failed', 'ContinuedAsNew')
         AND (@ids IS NULL OR i.instance_id IN (SELECT value FROM json_each(@ids)))
         AND (@before IS NULL OR e.completed_at < @before)
       ORDER BY i.created_at, i.rowid LIMIT @limit`,
    );
    this.pruneTargetsStmt = db.prepare(
      `SELECT i.instance_id FROM instances i
       WHERE (@ids IS NULL OR i.instance_id IN (SELECT value FROM json_each(@ids)))
         AND (@before IS NULL OR EXISTS (SELECT 1 FROM executions e
               WHERE e.instance_id = i.instance_id AND e.completed_at < @before))
       ORDER BY i.created_at, i.rowid LIMIT @limit`,
    );
    this.prunableStmt = db.prepare(
      `SELECT execution_id FROM executions
       WHERE instance_id = @instance AND execution_id <> @current AND status <> 'Running'
         AND execution_id NOT IN (SELECT execution_id FROM executions WHERE instance_id = @instance
                                  ORDER BY execution_id DESC LIMIT @keep)
         AND (@before IS NULL OR completed_at < @before)
       ORDER BY execution_id`,
    );
    this.deleteHistoryStmt = db.prepare('DELETE FROM history WHERE instance_id = ? AND execution_id = ?');
    this.deleteExecutionStmt = db.prepare(
      'DELETE FROM executions WHERE instance_id = ? AND execution_id = ?',
    );
    this.currentStmt = db.prepare(
      `SELECT COALESCE((SELECT current_execution_id FROM instances WHERE instance_id = ?),
                       (SELECT MAX(execution_id) FROM executions WHERE instance_id = ?)) AS id`,
    );
    this.deleteTx = db.transaction((ids, force) => this.deleteIds('deleteInstancesAtomic', ids, force));
    this.deleteTreeTx = db.transaction((instance, force) => this.deleteTree(instance, force));
    this.bulkTx = db.transaction((params) => this.deleteBulk(params));
    this.pruneTx = db.transaction((instance, options) => this.pruneOne('pruneExecutions', instance, options));
    this.pruneBulkTx = db.transaction((params, options) => this.pruneMany(params, options));
  }

  /** Deletes exactly these instances (all or nothing). */
  deleteInstancesAtomic(ids: string[], force: boolean): DeleteInstanceResult {
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      throw invalidInput('deleteInstancesAtomic', 'ids must be an array of instance id strings');
    }
    if (ids.length === 0) return { ...ZERO_DELETE };
    return this.deleteTx.immediate([...new Set(ids)], force);
  }

  /** Deletes a root instance and its whole tree; a sub-orchestration id is refused. */
  deleteInstance(instance: string, force: boolean): DeleteInstanceResult {
    return this.deleteTreeTx.immediate(instance, force);
  }

  /** Deletes matching terminal roots with their trees. */
  deleteInstanceBulk(filter: InstanceFilter): DeleteInstanceResult {
    const params = filterParams('deleteInstanceBulk', filter);
    if (params === null) return { ...ZERO_DELETE };
    return this.bulkTx.immediate(params);
  }

  /** Deletes old, finished executions of one instance (never the current one; KV untouched). */
  pruneExecutions(instance: string, options: PruneOptions): PruneResult {
    checkPruneOptions('pruneExecutions', options);
    return this.pruneTx.immediate(instance, options);
  }

  /** Prunes every matching instance, running ones included. */
  pruneExecutionsBulk(filter: InstanceFilter, options: PruneOptions): PruneResult {
    checkPruneOptions('pruneExecutionsBulk', options);
    const params = filterParams('pruneExecutionsBulk', filter);
    if (params === null) return { instancesProcessed: 0, executionsDeleted: 0, eventsDeleted: 0 };
    return this.pruneBulkTx.immediate(params, options);
  }

  private deleteTree(instance: string, force: boolean): DeleteInstanceResult {
    const parent = this.queries.getParentId('deleteInstance', instance);
    if (parent !== null) {
      throw ProviderError.permanent(
        'deleteInstance',
        `instance '${instance}' is a sub-orchestration of '${parent}'; delete the root instance instead`,
      );
    }
    return this.deleteIds('deleteInstance', this.queries.treeIds(instance), force);
  }

  private deleteIds(operation: string, ids: string[], force: boolean): DeleteInstanceResult {
    const json = JSON.stringify(ids);
    if (!force) {
      const running = this.runningStmt.get(json);
      if (running) {
        throw ProviderError.permanent(
          operation,
          `instance '${running.instance_id}' is still running; pass force = true to delete it anyway`,
        );
      }
    }
    const orphan = this.orphanStmt.get(json, json);
    if (orphan) {
      throw ProviderError.permanent(
        operation,
        `deleting '${orphan.parent}' would orphan its child instance '${orphan.instance_id}'; delete the whole tree`,
      );
    }
    const del = (table: string) => this.deleteStmts[table]!.run(json).changes;
    const eventsDeleted = del('history');
    const executionsDeleted = del('executions');
    const queueMessagesDeleted = del('orchestrator_queue') + del('worker_queue');
    for (const table of ['instance_locks', 'kv_store', 'kv_delta']) del(table);
    const instancesDeleted = del('instances');
    return { instancesDeleted, executionsDeleted, eventsDeleted, queueMessagesDeleted };
  }

  private deleteBulk(params: FilterParams): DeleteInstanceResult {
    const total = { ...ZERO_DELETE };
    for (const { instance_id } of this.bulkRootsStmt.all(params)) {
      const r = this.deleteIds('deleteInstanceBulk', this.queries.treeIds(instance_id), true);
      total.instancesDeleted += r.instancesDeleted;
      total.executionsDeleted += r.executionsDeleted;
      total.eventsDeleted += r.eventsDeleted;
      total.queueMessagesDeleted += r.queueMessagesDeleted;
    }
    return total;
  }

  private pruneOne(operation: string, instance: string, options: PruneOptions): PruneResult {
    const current = this.currentStmt.get(instance, instance)?.id ?? null;
    if (current === null) throw notFound(operation, instance);
    const keep = Math.max(1, options.keepLast ?? 1);
    const before = options.completedBefore ?? null;
    let executionsDeleted = 0;
    let eventsDeleted = 0;
    for (const { execution_id } of this.prunableStmt.all({ instance, current, keep, before })) {
      eventsDeleted += this.deleteHistoryStmt.run(instance, execution_id).changes;
      executionsDeleted += this.deleteExecutionStmt.run(instance, execution_id).changes;
    }
    return { instancesProcessed: 1, executionsDeleted, eventsDeleted };
  }

  private pruneMany(params: FilterParams, options: PruneOptions): PruneResult {
    const total: PruneResult = { instancesProcessed: 0, executionsDeleted: 0, eventsDeleted: 0 };
    for (const { instance_id } of this.pruneTargetsStmt.all(params)) {
      const r = this.pruneOne('pruneExecutionsBulk', instance_id, options);
      total.instancesProcessed += r.instancesProcessed;
      total.executionsDeleted += r.executionsDeleted;
      total.eventsDeleted += r.eventsDeleted;
    }
    return total;
  }
}

/** Validates a filter; null means "matches nothing" (an empty id list). */
function filterParams(operation: string, filter: InstanceFilter): FilterParams | null {
  if (typeof filter !== 'object' || filter === null)
    throw invalidInput(operation, 'the filter must be an object');
  const { instanceIds, completedBefore, limit = 1000 } = filter;
  if (
    instanceIds !== undefined &&
    (!Array.isArray(instanceIds) || instanceIds.some((i) => typeof i !== 'string'))
  ) {
    throw invalidInput(operation, 'filter.instanceIds must be an array of strings');
  }
  if (completedBefore !== undefined && !Number.isFinite(completedBefore)) {
    throw invalidInput(
      operation,
      `filter.completedBefore must be epoch milliseconds, got ${completedBefore}`,
    );
  }
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw invalidInput(operation, `filter.limit must be a non-negative integer, got ${limit}`);
  }
  if (instanceIds !== undefined && instanceIds.length === 0) return null;
  return { ids: instanceIds ? JSON.stringify(instanceIds) : null, before: completedBefore ?? null, limit };
}

function checkPruneOptions(operation: string, options: PruneOptions): void {
  if (typeof options !== 'object' || options === null)
    throw invalidInput(operation, 'options must be an object');
  if (options.keepLast !== undefined && (!Number.isSafeInteger(options.keepLast) || options.keepLast < 0)) {
    throw invalidInput(operation, `options.keepLast must be a non-negative integer, got ${options.keepLast}`);
  }
  if (options.completedBefore !== undefined && !Number.isFinite(options.completedBefore)) {
    throw invalidInput(
      operation,
      `options.completedBefore must be epoch milliseconds, got ${options.completedBefore}`,
    );
  }
}
