/**
 * Shared helpers for the kv_store, lock_expiration, long_polling, management, multi_execution,
 * poison_message, prune, queue_semantics, sessions and tag_filtering groups.
 *
 * Every test names its instances, sessions and owners through a `TestScope`, and fetches through
 * `fetchOrch`/`fetchWork`, which skip (and afterwards release) items that belong to other tests. So a
 * "nothing to fetch" assertion means "nothing of this test's", and suites may share one store.
 */
import type {
  ActivityCompletedItem,
  ActivityExecuteItem,
  ContinueAsNewItem,
  DispatcherCapabilityFilter,
  Event,
  ExecutionMetadata,
  ExternalRaisedItem,
  FetchedOrchestrationItem,
  FetchedWorkItem,
  Provider,
  ProviderAdmin,
  SessionFetchConfig,
  TagFilter,
} from '@duroxide/core';
import { expect } from 'vitest';
import { emptyAck, event, startedEvent, startItem } from './builders.js';
import { uniqueId } from './harness.js';

/** How many foreign items a scoped fetch skips before giving up. */
const MAX_FOREIGN_ITEMS = 100;

/** Unique names for one test's instances, sessions and owners. */
export class TestScope {
  /** The unique prefix every name of this test starts with. */
  readonly prefix: string;

  constructor(name: string) {
    this.prefix = uniqueId(name);
  }

  /** A unique name for `local` (an instance id, session id, owner id or tag). */
  id(local: string): string {
    return `${this.prefix}/${local}`;
  }

  /** Whether an instance id was made by this scope. */
  readonly owns = (instance: string): boolean => instance.startsWith(`${this.prefix}/`);
}

/** The management capability, or a clear failure when the provider has none. */
export function requireAdmin(provider: Provider): ProviderAdmin {
  const admin = provider.asManagementCapability();
  if (!admin) {
    throw new Error(
      `provider '${provider.name}' returned null from asManagementCapability(); this test needs the ProviderAdmin capability`,
    );
  }
  return admin;
}

/**
 * Fetches the next orchestration batch whose instance `owns` accepts (poll timeout 0). Batches of other
 * instances are held while searching and then abandoned without counting an attempt.
 */
export async function fetchOrch(
  provider: Provider,
  owns: (instance: string) => boolean,
  lockTimeoutMs: number,
  filter?: DispatcherCapabilityFilter | null,
): Promise<FetchedOrchestrationItem | null> {
  const foreign: string[] = [];
  try {
    for (let i = 0; i < MAX_FOREIGN_ITEMS; i++) {
      const fetched = await provider.fetchOrchestrationItem(lockTimeoutMs, 0, filter);
      if (!fetched || owns(fetched.item.instance)) return fetched;
      foreign.push(fetched.lockToken);
    }
    throw new Error(`fetchOrch: skipped ${MAX_FOREIGN_ITEMS} batches of other tests without finding ours`);
  } finally {
    for (const token of foreign) await provider.abandonOrchestrationItem(token, { ignoreAttempt: true });
  }
}

/** Like `fetchOrch`, failing with `what` when nothing comes back. */
export async function mustFetchOrch(
  provider: Provider,
  owns: (instance: string) => boolean,
  lockTimeoutMs: number,
  what = 'an orchestration item',
): Promise<FetchedOrchestrationItem> {
  const fetched = await fetchOrch(provider, owns, lockTimeoutMs);
  if (!fetched) throw new Error(`expected ${what}, but fetchOrchestrationItem returned null`);
  return fetched;
}

/** Options for a scoped worker fetch. */
export interface WorkFetchOptions {
  /** Lock timeout for the fetched row. */
  lockTimeoutMs: number;
  /** Session routing (default: none). */
  session?: SessionFetchConfig | null;
  /** Tag filter (default: `defaultOnly`). */
  tagFilter?: TagFilter;
}

/**
 * Fetches the next activity whose instance `owns` accepts (poll timeout 0). Other tests' activities
 * are held while searching and then abandoned without counting an attempt.
 */
export async function fetchWork(
  provider: Provider,
  owns: (instance: string) => boolean,
  options: WorkFetchOptions,
): Promise<FetchedWorkItem | null> {
  const foreign: string[] = [];
  const tagFilter = options.tagFilter ?? 'defaultOnly';
  try {
    for (let i = 0; i < MAX_FOREIGN_ITEMS; i++) {
      const fetched = await provider.fetchWorkItem(
        options.lockTimeoutMs,
        0,
        options.session ?? null,
        tagFilter,
      );
      if (!fetched || owns(fetched.item.instance)) return fetched;
      foreign.push(fetched.lockToken);
    }
    throw new Error(`fetchWork: skipped ${MAX_FOREIGN_ITEMS} activities of other tests without finding ours`);
  } finally {
    for (const token of foreign) await provider.abandonWorkItem(token, { ignoreAttempt: true });
  }
}

/** Like `fetchWork`, failing with `what` when nothing comes back. */
export async function mustFetchWork(
  provider: Provider,
  owns: (instance: string) => boolean,
  options: WorkFetchOptions,
  what = 'an activity',
): Promise<FetchedWorkItem> {
  const fetched = await fetchWork(provider, owns, options);
  if (!fetched) throw new Error(`expected ${what}, but fetchWorkItem returned null`);
  return fetched;
}

/** Asserts the call fails with a non-retryable `ProviderError` (the contract's rule for lost or unknown locks). */
export async function expectPermanentError(call: Promise<unknown>, what: string): Promise<Error> {
  let error: unknown;
  try {
    await call;
  } catch (e) {
    error = e;
  }
  expect(error, `${what}: expected the call to fail`).toBeInstanceOf(Error);
  const fields = error as { code?: unknown; retryable?: unknown };
  expect(fields.code, `${what}: expected a ProviderError (code 'PROVIDER')`).toBe('PROVIDER');
  expect(fields.retryable, `${what}: expected a permanent (non-retryable) ProviderError`).toBe(false);
  return error as Error;
}

/** An `ExternalRaised` message that only exists to give an instance a turn. */
export function pokeItem(instance: string): ExternalRaisedItem {
  return { kind: 'ExternalRaised', instance, name: 'poke', data: '{}' };
}

/** An `ActivityCompleted` answering `activity`. */
export function completionFor(activity: ActivityExecuteItem, result = 'done'): ActivityCompletedItem {
  return {
    kind: 'ActivityCompleted',
    instance: activity.instance,
    executionId: activity.executionId,
    id: activity.id,
    result,
  };
}

/** A `KeyValueSet` event. */
export function kvSet(
  instance: string,
  executionId: number,
  eventId: number,
  key: string,
  value: string,
  lastUpdatedAtMs = 0,
): Event {
  return event(instance, executionId, eventId, { kind: 'KeyValueSet', key, value, lastUpdatedAtMs });
}

/** A `KeyValueCleared` event. */
export function kvCleared(instance: string, executionId: number, eventId: number, key: string): Event {
  return event(instance, executionId, eventId, { kind: 'KeyValueCleared', key });
}

/** A `KeyValuesCleared` event. */
export function kvAllCleared(instance: string, executionId: number, eventId: number): Event {
  return event(instance, executionId, eventId, { kind: 'KeyValuesCleared' });
}

/** Gives `instance` a turn (a poke message) and acks it with `historyDelta` and `metadata`. */
export async function ackTurn(
  provider: Provider,
  instance: string,
  lockTimeoutMs: number,
  executionId: number,
  historyDelta: Event[],
  metadata: ExecutionMetadata = {},
): Promise<void> {
  await provider.enqueueForOrchestrator(pokeItem(instance));
  const fetched = await mustFetchOrch(
    provider,
    (i) => i === instance,
    lockTimeoutMs,
    `a turn for ${instance}`,
  );
  await provider.ackOrchestrationItem(fetched.lockToken, emptyAck(executionId, { historyDelta, metadata }));
}

/** Completes `executionId` of `instance` (OrchestrationCompleted event 9999, status Completed). */
export async function completeInstance(
  provider: Provider,
  instance: string,
  lockTimeoutMs: number,
  executionId = 1,
): Promise<void> {
  const completed = event(instance, executionId, 9999, { kind: 'OrchestrationCompleted', output: 'done' });
  await ackTurn(provider, instance, lockTimeoutMs, executionId, [completed], {
    status: 'Completed',
    output: 'done',
    orchestrationName: 'TestOrch',
    orchestrationVersion: '1.0.0',
  });
}

/** A `ContinueAsNew` message for `TestOrch` v1.0.0. */
export function continueAsNewItem(
  instance: string,
  orchestration = 'TestOrch',
  input = '{}',
): ContinueAsNewItem {
  return { kind: 'ContinueAsNew', instance, orchestration, input, version: '1.0.0', carryForwardEvents: [] };
}

/**
 * Moves `instance` to `newExecutionId`: marks the previous execution ContinuedAsNew, then processes a
 * ContinueAsNew message acked into the new execution with its OrchestrationStarted event.
 */
export async function continueAsNew(
  provider: Provider,
  instance: string,
  lockTimeoutMs: number,
  newExecutionId: number,
): Promise<void> {
  const names = { orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' };
  await ackTurn(provider, instance, lockTimeoutMs, newExecutionId - 1, [], {
    status: 'ContinuedAsNew',
    ...names,
  });
  await provider.enqueueForOrchestrator(continueAsNewItem(instance));
  const fetched = await mustFetchOrch(
    provider,
    (i) => i === instance,
    lockTimeoutMs,
    `the ContinueAsNew of ${instance}`,
  );
  await provider.ackOrchestrationItem(
    fetched.lockToken,
    emptyAck(newExecutionId, { historyDelta: [startedEvent(instance, newExecutionId)], metadata: names }),
  );
}

/**
 * Creates `instance` with `count` executions, each holding one OrchestrationStarted event: all but the
 * last are ContinuedAsNew; the last is Completed, or left Running when `running` is set.
 */
export async function createMultiExecutionInstance(
  provider: Provider,
  instance: string,
  lockTimeoutMs: number,
  count: number,
  options: { running?: boolean; name?: string } = {},
): Promise<void> {
  const name = options.name ?? 'TestOrch';
  for (let executionId = 1; executionId <= count; executionId++) {
    const last = executionId === count;
    const message =
      executionId === 1 ? startItem(instance, { orchestration: name }) : continueAsNewItem(instance, name);
    await provider.enqueueForOrchestrator(message);
    const fetched = await mustFetchOrch(provider, (i) => i === instance, lockTimeoutMs);
    const metadata: ExecutionMetadata = { orchestrationName: name, orchestrationVersion: '1.0.0' };
    if (!last) metadata.status = 'ContinuedAsNew';
    else if (!options.running) metadata.status = 'Completed';
    await provider.ackOrchestrationItem(
      fetched.lockToken,
      emptyAck(executionId, { historyDelta: [startedEvent(instance, executionId, 1, name)], metadata }),
    );
  }
}

/** Runs `call` and returns its result with the real time it took, in ms. */
export async function timed<T>(call: () => Promise<T>): Promise<{ result: T; elapsedMs: number }> {
  const start = performance.now();
  const result = await call();
  return { result, elapsedMs: performance.now() - start };
}

/** Resolves after `ms` of real time; only for giving a long-polling fetch time to start waiting. */
export function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
