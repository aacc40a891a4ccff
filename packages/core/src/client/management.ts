import { DurableError } from '../errors.js';
import type { Event } from '../history/events.js';
import { decodePayload } from '../history/payload.js';
import type {
  DeleteInstanceResult,
  ExecutionInfo,
  ExecutionStatus,
  InstanceFilter,
  InstanceInfo,
  InstanceStats,
  InstanceTree,
  Provider,
  ProviderAdmin,
  PruneOptions,
  PruneResult,
  QueueDepths,
  SystemMetrics,
} from '../provider/provider-contract.js';
import { requireName, requireNumber, requireObject, translateManagementError } from './validation.js';

/** Instance metadata with the output parsed from JSON. */
export type InstanceInfoView = Omit<InstanceInfo, 'output'> & { output: unknown };

/** Execution metadata with the output parsed from JSON. */
export type ExecutionInfoView = Omit<ExecutionInfo, 'output'> & { output: unknown };

const STATUSES: readonly ExecutionStatus[] = ['Running', 'Completed', 'Failed', 'ContinuedAsNew'];

/**
 * The management half of the client (duroxide-node's admin set): listings, metadata, history, trees,
 * deletes, prunes and store-wide figures. Needs a provider with the management capability.
 */
export class ManagementClient {
  constructor(
    /** The store this client reads and writes. */
    readonly provider: Provider,
  ) {}

  /** Whether the provider offers the management capability. */
  hasManagementCapability(): boolean {
    return this.provider.asManagementCapability() !== null;
  }

  /** Every instance id, newest first. */
  async listAllInstances(): Promise<string[]> {
    return this.admin('listAllInstances').listInstances();
  }

  /** Instances whose current execution has this status (`Running`, `Completed`, `Failed`, `ContinuedAsNew`). */
  async listInstancesByStatus(status: ExecutionStatus): Promise<string[]> {
    if (!STATUSES.includes(status)) {
      throw new DurableError(
        'INVALID_INPUT',
        `status must be one of ${STATUSES.join(', ')}, got '${String(status)}'`,
      );
    }
    return this.admin('listInstancesByStatus').listInstancesByStatus(status);
  }

  /** Instance metadata (output parsed); `InstanceNotFoundError` when unknown. */
  async getInstanceInfo(instanceId: string): Promise<InstanceInfoView> {
    requireName(instanceId, 'instanceId');
    const admin = this.admin('getInstanceInfo');
    const info = await this.call(instanceId, () => admin.getInstanceInfo(instanceId));
    return { ...info, output: decodePayload(info.output) };
  }

  /** One execution's metadata (output parsed); `InstanceNotFoundError` when unknown. */
  async getExecutionInfo(instanceId: string, executionId: number): Promise<ExecutionInfoView> {
    requireName(instanceId, 'instanceId');
    requireNumber(executionId, 'executionId', 1);
    const admin = this.admin('getExecutionInfo');
    const info = await this.call(instanceId, () => admin.getExecutionInfo(instanceId, executionId));
    return { ...info, output: decodePayload(info.output) };
  }

  /** Execution ids, ascending (one per continue-as-new generation); empty when unknown. */
  async listExecutions(instanceId: string): Promise<number[]> {
    requireName(instanceId, 'instanceId');
    return this.admin('listExecutions').listExecutions(instanceId);
  }

  /** One execution's events as stored (camelCase; payload fields are JSON text). */
  async readExecutionHistory(instanceId: string, executionId: number): Promise<Event[]> {
    requireName(instanceId, 'instanceId');
    requireNumber(executionId, 'executionId', 1);
    return this.admin('readExecutionHistory').readHistoryWithExecutionId(instanceId, executionId);
  }

  /** The instance and all its sub-orchestrations. */
  async getInstanceTree(instanceId: string): Promise<InstanceTree> {
    requireName(instanceId, 'instanceId');
    const admin = this.admin('getInstanceTree');
    return this.call(instanceId, () => admin.getInstanceTree(instanceId));
  }

  /**
   * Deletes a root instance with its whole tree. Errors: `InstanceNotFoundError`; `INSTANCE_STILL_RUNNING`
   * without `force`; `CANNOT_DELETE_SUB_ORCHESTRATION` for a child (delete the root).
   */
  async deleteInstance(instanceId: string, force = false): Promise<DeleteInstanceResult> {
    requireName(instanceId, 'instanceId');
    const admin = this.admin('deleteInstance');
    const info = await this.call(instanceId, () => admin.getInstanceInfo(instanceId));
    if (info.parentInstanceId !== null) {
      throw new DurableError(
        'CANNOT_DELETE_SUB_ORCHESTRATION',
        `instance '${instanceId}' is a sub-orchestration of '${info.parentInstanceId}'; delete the root instance instead`,
      );
    }
    if (info.status === 'Running' && !force) {
      throw new DurableError(
        'INSTANCE_STILL_RUNNING',
        `instance '${instanceId}' is still running; cancel it first or pass force = true`,
      );
    }
    return this.call(instanceId, () => admin.deleteInstance(instanceId, force));
  }

  /** Deletes terminal root instances matching the filter (conditions ANDed), each with its tree. */
  async deleteInstanceBulk(filter: InstanceFilter = {}): Promise<DeleteInstanceResult> {
    requireObject(filter, 'filter');
    return this.admin('deleteInstanceBulk').deleteInstanceBulk(filter);
  }

  /** Deletes old executions of one instance; the current one is always kept. */
  async pruneExecutions(instanceId: string, options: PruneOptions): Promise<PruneResult> {
    requireName(instanceId, 'instanceId');
    requireObject(options, 'options');
    const admin = this.admin('pruneExecutions');
    return this.call(instanceId, () => admin.pruneExecutions(instanceId, options));
  }

  /** Prunes old executions across matching instances. */
  async pruneExecutionsBulk(filter: InstanceFilter, options: PruneOptions): Promise<PruneResult> {
    requireObject(filter, 'filter');
    requireObject(options, 'options');
    return this.admin('pruneExecutionsBulk').pruneExecutionsBulk(filter, options);
  }

  /** Store-wide counts. */
  async getSystemMetrics(): Promise<SystemMetrics> {
    return this.admin('getSystemMetrics').getSystemMetrics();
  }

  /** Unlocked queue rows. */
  async getQueueDepths(): Promise<QueueDepths> {
    return this.admin('getQueueDepths').getQueueDepths();
  }

  /** Size figures of the instance's current execution, or null when unknown (no management needed). */
  async getOrchestrationStats(instanceId: string): Promise<InstanceStats | null> {
    requireName(instanceId, 'instanceId');
    return this.provider.getInstanceStats(instanceId);
  }

  private admin(method: string): ProviderAdmin {
    const admin = this.provider.asManagementCapability();
    if (admin === null) {
      throw new DurableError(
        'MANAGEMENT_NOT_AVAILABLE',
        `${method}: the provider '${this.provider.name}' has no management capability`,
      );
    }
    return admin;
  }

  private async call<T>(instanceId: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw translateManagementError(err, instanceId);
    }
  }
}
