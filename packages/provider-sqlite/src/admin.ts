import type {
  DeleteInstanceResult,
  Event,
  ExecutionInfo,
  ExecutionStatus,
  InstanceFilter,
  InstanceInfo,
  InstanceTree,
  ProviderAdmin,
  PruneOptions,
  PruneResult,
  QueueDepths,
  SystemMetrics,
} from '@duroxide/core';
import type { HistoryStore, StoreContext } from './history-store.js';
import type { ManagementDeletes } from './management-deletes.js';
import type { ManagementQueries } from './management-queries.js';

/** Runs a synchronous store call as a named operation (closed check and error mapping). */
export type Runner = <T>(operation: string, body: () => T) => T;

/** The SQLite provider's management capability. */
export class SqliteProviderAdmin implements ProviderAdmin {
  constructor(
    private readonly run: Runner,
    private readonly ctx: StoreContext,
    private readonly queries: ManagementQueries,
    private readonly deletes: ManagementDeletes,
    private readonly history: HistoryStore,
  ) {}

  /** Every instance id, newest first. */
  async listInstances(): Promise<string[]> {
    return this.run('listInstances', () => this.queries.listInstances());
  }

  /** Instances whose current execution has this status. */
  async listInstancesByStatus(status: ExecutionStatus): Promise<string[]> {
    return this.run('listInstancesByStatus', () => this.queries.listInstancesByStatus(status));
  }

  /** Execution ids, ascending; empty when unknown. */
  async listExecutions(instance: string): Promise<number[]> {
    return this.run('listExecutions', () => this.queries.listExecutions(instance));
  }

  /** One execution's events (a corrupt row fails naming it). */
  async readHistoryWithExecutionId(instance: string, executionId: number): Promise<Event[]> {
    const op = 'readHistoryWithExecutionId';
    return this.run(op, () => this.history.readExecution(op, instance, executionId));
  }

  /** The latest execution's events. */
  async readHistory(instance: string): Promise<Event[]> {
    return this.run('readHistory', () => this.history.readLatest('readHistory', instance));
  }

  /** The highest execution id, or 1. */
  async latestExecutionId(instance: string): Promise<number> {
    return this.run('latestExecutionId', () => this.history.latestExecutionId(instance));
  }

  /** Instance metadata; "not found" when unknown. */
  async getInstanceInfo(instance: string): Promise<InstanceInfo> {
    return this.run('getInstanceInfo', () => this.queries.getInstanceInfo('getInstanceInfo', instance));
  }

  /** Execution metadata; "not found" when unknown. */
  async getExecutionInfo(instance: string, executionId: number): Promise<ExecutionInfo> {
    const op = 'getExecutionInfo';
    return this.run(op, () => this.queries.getExecutionInfo(op, instance, executionId));
  }

  /** Store-wide counts. */
  async getSystemMetrics(): Promise<SystemMetrics> {
    return this.run('getSystemMetrics', () => this.queries.getSystemMetrics());
  }

  /** Rows not held by a live lock. */
  async getQueueDepths(): Promise<QueueDepths> {
    return this.run('getQueueDepths', () => this.queries.getQueueDepths(this.ctx.clock.now()));
  }

  /** Direct children; empty when unknown. */
  async listChildren(instance: string): Promise<string[]> {
    return this.run('listChildren', () => this.queries.listChildren(instance));
  }

  /** The parent id, or null for a root; "not found" when unknown. */
  async getParentId(instance: string): Promise<string | null> {
    return this.run('getParentId', () => this.queries.getParentId('getParentId', instance));
  }

  /** The instance and all its descendants. */
  async getInstanceTree(instance: string): Promise<InstanceTree> {
    const allIds = this.run('getInstanceTree', () => this.queries.treeIds(instance));
    return { rootId: instance, allIds, size: allIds.length };
  }

  /** Deletes exactly these instances, all or nothing. */
  async deleteInstancesAtomic(ids: string[], force: boolean): Promise<DeleteInstanceResult> {
    return this.run('deleteInstancesAtomic', () => this.deletes.deleteInstancesAtomic(ids, force));
  }

  /** Deletes a root instance with its whole tree. */
  async deleteInstance(instance: string, force: boolean): Promise<DeleteInstanceResult> {
    return this.run('deleteInstance', () => this.deletes.deleteInstance(instance, force));
  }

  /** Deletes matching terminal roots with their trees. */
  async deleteInstanceBulk(filter: InstanceFilter): Promise<DeleteInstanceResult> {
    return this.run('deleteInstanceBulk', () => this.deletes.deleteInstanceBulk(filter));
  }

  /** Deletes old finished executions of one instance. */
  async pruneExecutions(instance: string, options: PruneOptions): Promise<PruneResult> {
    return this.run('pruneExecutions', () => this.deletes.pruneExecutions(instance, options));
  }

  /** Prunes every matching instance. */
  async pruneExecutionsBulk(filter: InstanceFilter, options: PruneOptions): Promise<PruneResult> {
    return this.run('pruneExecutionsBulk', () => this.deletes.pruneExecutionsBulk(filter, options));
  }
}
