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
import { pairs } from './codec.js';
import { checkDuration, invalidInput } from './errors.js';
import { decodeId, encodeId } from './ids.js';
import type { RedisProvider } from './redis-provider.js';
import type { ScriptArg } from './script-runner.js';

const STATUSES: ExecutionStatus[] = ['Running', 'Completed', 'Failed', 'ContinuedAsNew'];
const DEFAULT_BULK_LIMIT = 1000;

/** The management capability of `RedisProvider`. */
export class RedisAdmin implements ProviderAdmin {
  constructor(private readonly provider: RedisProvider) {}

  async listInstances(): Promise<string[]> {
    const ids = await this.provider.command('listInstances', (r, p) => r.zrevrange(`${p}:insts`, 0, -1));
    return ids.map(decodeId);
  }

  async listInstancesByStatus(status: ExecutionStatus): Promise<string[]> {
    const op = 'listInstancesByStatus';
    if (!STATUSES.includes(status)) throw invalidInput(op, `unknown status ${JSON.stringify(status)}`);
    const ids = await this.provider.command(op, (r, p) => r.smembers(`${p}:st:${status}`));
    return ids.map(decodeId).sort();
  }

  async listExecutions(instance: string): Promise<number[]> {
    const e = encodeId(instance, 'listExecutions');
    const ids = await this.provider.command('listExecutions', (r, p) => r.zrange(`${p}:i:${e}:x`, 0, -1));
    return ids.map(Number);
  }

  readHistoryWithExecutionId(instance: string, executionId: number): Promise<Event[]> {
    return this.provider.readHistory('readHistoryWithExecutionId', instance, executionId);
  }

  readHistory(instance: string): Promise<Event[]> {
    return this.provider.readHistory('readHistory', instance, null);
  }

  async latestExecutionId(instance: string): Promise<number> {
    const e = encodeId(instance, 'latestExecutionId');
    const top = await this.provider.command('latestExecutionId', (r, p) => r.zrange(`${p}:i:${e}:x`, -1, -1));
    return top[0] === undefined ? 1 : Number(top[0]);
  }

  async getInstanceInfo(instance: string): Promise<InstanceInfo> {
    const op = 'getInstanceInfo';
    const reply = (await this.provider.runScript(op, 'instanceInfo', [encodeId(instance, op)])) as
      | [string[], string, string | null]
      | null;
    if (!reply) throw notFound(op, instance);
    const row = new Map(pairs(reply[0]));
    const parent = row.get('parent');
    return {
      instanceId: instance,
      orchestrationName: row.get('name') ?? 'unknown',
      orchestrationVersion: row.get('ver') ?? 'unknown',
      currentExecutionId: Number(row.get('cur') ?? 1),
      status: reply[1] as ExecutionStatus,
      output: reply[2] ?? null,
      createdAt: Number(row.get('created') ?? 0),
      updatedAt: Number(row.get('updated') ?? row.get('created') ?? 0),
      parentInstanceId: parent === undefined ? null : decodeId(parent),
    };
  }

  async getExecutionInfo(instance: string, executionId: number): Promise<ExecutionInfo> {
    const op = 'getExecutionInfo';
    const reply = (await this.provider.runScript(op, 'executionInfo', [
      encodeId(instance, op),
      executionId,
    ])) as [string[], number] | null;
    if (!reply)
      throw ProviderError.permanent(op, `execution ${executionId} of instance '${instance}' not found`);
    const x = new Map(pairs(reply[0]));
    const completed = x.get('completed');
    return {
      executionId,
      status: (x.get('status') ?? 'Running') as ExecutionStatus,
      output: x.get('output') ?? null,
      startedAt: Number(x.get('started') ?? 0),
      completedAt: completed === undefined ? null : Number(completed),
      eventCount: Number(reply[1]),
    };
  }

  async getSystemMetrics(): Promise<SystemMetrics> {
    const m = ((await this.provider.runScript('getSystemMetrics', 'metrics', [])) as number[]).map(Number);
    return {
      totalInstances: m[0] ?? 0,
      totalExecutions: m[1] ?? 0,
      runningInstances: m[2] ?? 0,
      completedInstances: m[3] ?? 0,
      failedInstances: m[4] ?? 0,
      totalEvents: m[5] ?? 0,
    };
  }

  async getQueueDepths(): Promise<QueueDepths> {
    const m = ((await this.provider.runScript('getQueueDepths', 'metrics', [])) as number[]).map(Number);
    return { orchestratorQueue: m[6] ?? 0, workerQueue: m[7] ?? 0, timerQueue: 0 };
  }

  async listChildren(instance: string): Promise<string[]> {
    const e = encodeId(instance, 'listChildren');
    const ids = await this.provider.command('listChildren', (r, p) => r.smembers(`${p}:i:${e}:ch`));
    return ids.map(decodeId).sort();
  }

  async getParentId(instance: string): Promise<string | null> {
    const op = 'getParentId';
    const e = encodeId(instance, op);
    const [cur, parent] = await this.provider.command(op, (r, p) => r.hmget(`${p}:i:${e}`, 'cur', 'parent'));
    if (cur == null) throw notFound(op, instance);
    return parent == null ? null : decodeId(parent);
  }

  async getInstanceTree(instance: string): Promise<InstanceTree> {
    await this.getParentId(instance);
    const allIds = [instance];
    for (let i = 0; i < allIds.length; i++) {
      for (const child of await this.listChildren(allIds[i] as string)) {
        if (!allIds.includes(child)) allIds.push(child);
      }
    }
    return { rootId: instance, allIds, size: allIds.length };
  }

  async deleteInstancesAtomic(ids: string[], force: boolean): Promise<DeleteInstanceResult> {
    const op = 'deleteInstancesAtomic';
    if (!Array.isArray(ids)) throw invalidInput(op, 'ids must be an array');
    if (ids.length === 0)
      return { instancesDeleted: 0, executionsDeleted: 0, eventsDeleted: 0, queueMessagesDeleted: 0 };
    const encoded = ids.map((id) => encodeId(id, op));
    const reply = (await this.provider.runScript(op, 'deleteAtomic', [
      force ? '1' : '0',
      encoded.length,
      ...encoded,
    ])) as number[];
    const [instancesDeleted, executionsDeleted, eventsDeleted, queueMessagesDeleted] = reply.map(Number);
    return {
      instancesDeleted: instancesDeleted ?? 0,
      executionsDeleted: executionsDeleted ?? 0,
      eventsDeleted: eventsDeleted ?? 0,
      queueMessagesDeleted: queueMessagesDeleted ?? 0,
    };
  }

  async deleteInstance(instance: string, force: boolean): Promise<DeleteInstanceResult> {
    const op = 'deleteInstance';
    const parent = await this.getParentId(instance);
    if (parent !== null) {
      throw ProviderError.permanent(
        op,
        `instance '${instance}' is a sub-orchestration of '${parent}'; delete the root instance instead`,
      );
    }
    const tree = await this.getInstanceTree(instance);
    return this.deleteInstancesAtomic(tree.allIds, force);
  }

  async deleteInstanceBulk(filter: InstanceFilter): Promise<DeleteInstanceResult> {
    const total: DeleteInstanceResult = {
      instancesDeleted: 0,
      executionsDeleted: 0,
      eventsDeleted: 0,
      queueMessagesDeleted: 0,
    };
    const roots = await this.select('deleteInstanceBulk', 'selectBulkDelete', filter);
    for (const root of roots) {
      const tree = await this.getInstanceTree(root);
      const r = await this.deleteInstancesAtomic(tree.allIds, true);
      total.instancesDeleted += r.instancesDeleted;
      total.executionsDeleted += r.executionsDeleted;
      total.eventsDeleted += r.eventsDeleted;
      total.queueMessagesDeleted += r.queueMessagesDeleted;
    }
    return total;
  }

  async pruneExecutions(instance: string, options: PruneOptions): Promise<PruneResult> {
    const op = 'pruneExecutions';
    const reply = (await this.provider.runScript(op, 'prune', [
      encodeId(instance, op),
      ...pruneArgs(op, options),
    ])) as number[];
    return { instancesProcessed: 1, executionsDeleted: Number(reply[0]), eventsDeleted: Number(reply[1]) };
  }

  async pruneExecutionsBulk(filter: InstanceFilter, options: PruneOptions): Promise<PruneResult> {
    const op = 'pruneExecutionsBulk';
    const args = pruneArgs(op, options);
    const total: PruneResult = { instancesProcessed: 0, executionsDeleted: 0, eventsDeleted: 0 };
    for (const instance of await this.select(op, 'selectPrune', filter)) {
      const reply = (await this.provider.runScript(op, 'prune', [
        encodeId(instance, op),
        ...args,
      ])) as number[];
      total.instancesProcessed += 1;
      total.executionsDeleted += Number(reply[0]);
      total.eventsDeleted += Number(reply[1]);
    }
    return total;
  }

  private async select(
    op: string,
    script: 'selectBulkDelete' | 'selectPrune',
    filter: InstanceFilter,
  ): Promise<string[]> {
    const f = filter ?? {};
    if (f.instanceIds !== undefined && f.instanceIds.length === 0) return [];
    const ids = f.instanceIds?.map((id) => encodeId(id, op)) ?? [];
    const before = f.completedBefore == null ? '' : checkDuration(op, 'completedBefore', f.completedBefore);
    const limit = f.limit ?? DEFAULT_BULK_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw invalidInput(op, `limit must be a non-negative integer, got ${limit}`);
    const args: ScriptArg[] = [f.instanceIds ? '1' : '0', ids.length, ...ids, before, limit];
    return ((await this.provider.runScript(op, script, args)) as string[]).map(decodeId);
  }
}

function pruneArgs(op: string, options: PruneOptions): ScriptArg[] {
  const keep = options?.keepLast == null ? '' : checkDuration(op, 'keepLast', options.keepLast);
  const before =
    options?.completedBefore == null ? '' : checkDuration(op, 'completedBefore', options.completedBefore);
  return [keep, before];
}

function notFound(operation: string, instance: string): ProviderError {
  return ProviderError.permanent(operation, `instance '${instance}' not found`);
}
