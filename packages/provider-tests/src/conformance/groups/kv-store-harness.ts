import type { Event, KvEntry, Provider } from '@duroxide/core';
import { createInstance, emptyAck } from '../builders.js';
import { withProvider } from '../harness.js';
import {
  ackTurn,
  completeInstance,
  continueAsNew,
  mustFetchOrch,
  pokeItem,
  TestScope,
} from '../helpers-b.js';
import type { ResolvedConformanceOptions } from '../options.js';

/** What every KV test gets: the provider plus turn helpers bound to it. */
export interface KvTest {
  provider: Provider;
  /** A unique instance id for `local`. */
  id(local: string): string;
  /** Creates the instance (OrchestrationStarted acked, still Running). */
  create(instance: string): Promise<void>;
  /** One turn of `executionId` appending `delta` with empty metadata. */
  ack(instance: string, executionId: number, delta: Event[]): Promise<void>;
  /** Completes `executionId` (status Completed). */
  complete(instance: string, executionId?: number): Promise<void>;
  /** ContinueAsNew into `newExecutionId`. */
  can(instance: string, newExecutionId: number): Promise<void>;
  /** The kv snapshot of the instance's next fetch (that turn is acked empty as `executionId`). */
  snapshot(instance: string, executionId: number): Promise<Record<string, KvEntry>>;
  /** The client-visible value. */
  get(instance: string, key: string): Promise<string | null>;
}

/** Turns a KV test body into a vitest test function on a fresh provider. */
export function kvRunner(options: ResolvedConformanceOptions) {
  return (body: (t: KvTest) => Promise<void>) => () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const scope = new TestScope('kv');
      await body({
        provider,
        id: (local) => scope.id(local),
        create: (instance) => createInstance(provider, instance, lockTimeoutMs),
        ack: (instance, executionId, delta) => ackTurn(provider, instance, lockTimeoutMs, executionId, delta),
        complete: (instance, executionId = 1) =>
          completeInstance(provider, instance, lockTimeoutMs, executionId),
        can: (instance, newExecutionId) => continueAsNew(provider, instance, lockTimeoutMs, newExecutionId),
        snapshot: async (instance, executionId) => {
          await provider.enqueueForOrchestrator(pokeItem(instance));
          const fetched = await mustFetchOrch(provider, (i) => i === instance, lockTimeoutMs);
          await provider.ackOrchestrationItem(fetched.lockToken, emptyAck(executionId));
          return fetched.item.kvSnapshot;
        },
        get: (instance, key) => provider.getKvValue(instance, key),
      });
    });
}

/** The values of a snapshot, without timestamps. */
export function values(snapshot: Record<string, KvEntry>): Record<string, string> {
  return Object.fromEntries(Object.entries(snapshot).map(([k, e]) => [k, e.value]));
}

/** A kv_store test registrar: wraps a test body into a vitest test function on a fresh provider. */
export type KvRun = ReturnType<typeof kvRunner>;
