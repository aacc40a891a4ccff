import type {
  ActivityCompletedItem,
  DispatcherCapabilityFilter,
  ExecutionMetadata,
  ExternalRaisedItem,
  FetchedOrchestrationItem,
  FetchedWorkItem,
  ManualClock,
  Provider,
  ProviderAdmin,
} from '@duroxide/core';
import { emptyAck, event, fetchInstance, startedEvent, startItem } from './builders.js';
import type { ProviderUnderTest, ResolvedConformanceOptions } from './options.js';

/**
 * A lock timeout no test outlives: tests that port duroxide's 30 s locks use it, and since lock expiry
 * follows the manual clock, such a lock only lapses when a test moves the clock past it on purpose.
 */
export const LONG_LOCK_MS = 30_000;

/** The provider's management capability; the kit requires it, so its absence fails the test loudly. */
export function requireManagement(provider: Provider): ProviderAdmin {
  const admin = provider.asManagementCapability();
  if (!admin) {
    throw new Error(
      `provider '${provider.name}' returned null from asManagementCapability(): the conformance kit ` +
        'requires the management capability (ProviderAdmin) for this test',
    );
  }
  return admin;
}

/** A raw-storage hook from the options; its absence fails the test with a message naming the hook. */
export function requireHook<K extends 'corruptInstanceHistory' | 'getMaxAttemptCount'>(
  options: ResolvedConformanceOptions,
  hook: K,
): NonNullable<ResolvedConformanceOptions[K]> {
  const fn = options[hook];
  if (!fn) {
    throw new Error(
      `this conformance test requires the '${hook}' option: pass ${hook}(provider, instance) to ` +
        'describeProviderConformance (it needs raw access to the provider store)',
    );
  }
  return fn as NonNullable<ResolvedConformanceOptions[K]>;
}

/** Awaits `promise` and returns its rejection; fails when it resolves. */
export async function expectRejection(promise: Promise<unknown>, what: string): Promise<Error> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    if (!(error instanceof Error))
      throw new Error(`${what}: rejected with a non-Error value: ${String(error)}`);
    return error;
  }
  throw new Error(`${what}: expected a failure, but it succeeded (${JSON.stringify(value) ?? 'undefined'})`);
}

/** Fails unless the error is permanent (`retryable` absent or false, as for every non-storage error). */
export function expectPermanent(error: Error, what: string): void {
  if ((error as { retryable?: unknown }).retryable === true) {
    throw new Error(`${what}: expected a permanent error, got a retryable one: ${error.message}`);
  }
}

/** An orchestration fetch that must find work (pollTimeout 0). */
export async function mustFetchOrchestration(
  provider: Provider,
  lockTimeoutMs: number,
  filter?: DispatcherCapabilityFilter | null,
): Promise<FetchedOrchestrationItem> {
  const fetched = await provider.fetchOrchestrationItem(lockTimeoutMs, 0, filter);
  if (!fetched) throw new Error('expected an orchestration item, but fetchOrchestrationItem returned null');
  return fetched;
}

/** An untagged, session-less worker fetch (pollTimeout 0). */
export function fetchWork(provider: Provider, lockTimeoutMs = LONG_LOCK_MS): Promise<FetchedWorkItem | null> {
  return provider.fetchWorkItem(lockTimeoutMs, 0, null, 'defaultOnly');
}

/** An untagged, session-less worker fetch that must find work. */
export async function mustFetchWork(
  provider: Provider,
  lockTimeoutMs = LONG_LOCK_MS,
): Promise<FetchedWorkItem> {
  const fetched = await fetchWork(provider, lockTimeoutMs);
  if (!fetched) throw new Error('expected a work item, but fetchWorkItem returned null');
  return fetched;
}

/** An `ExternalRaised` message used to trigger another turn. */
export function externalRaised(instance: string, name = 'Trigger', data = '{}'): ExternalRaisedItem {
  return { kind: 'ExternalRaised', instance, name, data };
}

/** An `ActivityCompleted` message. */
export function activityCompleted(instance: string, id: number, result: string): ActivityCompletedItem {
  return { kind: 'ActivityCompleted', instance, executionId: 1, id, result };
}

/** A capability filter with one inclusive range. */
export function filterForRange(min: string, max: string): DispatcherCapabilityFilter {
  return { supportedDuroxideVersions: [{ min, max }] };
}

/**
 * duroxide's `seed_instance_with_version`: starts `instance`, acks its first turn with `pinned` as the
 * pinned runtime version, and enqueues a follow-up message in the same ack so the instance has work.
 */
export async function seedInstanceWithVersion(
  provider: Provider,
  instance: string,
  pinned: string,
): Promise<void> {
  await provider.enqueueForOrchestrator(startItem(instance));
  const fetched = await fetchInstance(provider, instance, LONG_LOCK_MS);
  const started = startedEvent(instance);
  started.duroxideVersion = pinned;
  await provider.ackOrchestrationItem(
    fetched.lockToken,
    emptyAck(1, {
      historyDelta: [started],
      orchestratorItems: [externalRaised(instance, 'ping')],
      metadata: {
        orchestrationName: 'TestOrch',
        orchestrationVersion: '1.0.0',
        pinnedDuroxideVersion: pinned,
      },
    }),
  );
}

/** Options for `createTerminalInstance`. */
export interface TerminalInstanceOptions {
  /** The terminal status written by the first ack (default Completed). */
  status?: 'Completed' | 'Failed';
  /** The output stored with the status. */
  output?: string;
  /** Makes the instance a sub-orchestration of this parent. */
  parent?: string;
  /** Orchestration name (default TestOrch). */
  name?: string;
}

/** Starts an instance and acks its only turn with a terminal status (duroxide's create_completed_instance & co). */
export async function createTerminalInstance(
  provider: Provider,
  instance: string,
  options: TerminalInstanceOptions = {},
): Promise<void> {
  const name = options.name ?? 'TestOrch';
  const parentFields = options.parent ? { parentInstance: options.parent, parentId: 1 } : {};
  await provider.enqueueForOrchestrator(startItem(instance, { orchestration: name, ...parentFields }));
  const fetched = await fetchInstance(provider, instance, LONG_LOCK_MS);
  const started = event(instance, 1, 1, {
    kind: 'OrchestrationStarted',
    name,
    version: '1.0.0',
    input: '{}',
    ...parentFields,
  });
  const metadata: ExecutionMetadata = {
    status: options.status ?? 'Completed',
    output: options.output ?? 'done',
    orchestrationName: name,
    orchestrationVersion: '1.0.0',
  };
  if (options.parent) metadata.parentInstanceId = options.parent;
  await provider.ackOrchestrationItem(fetched.lockToken, emptyAck(1, { historyDelta: [started], metadata }));
}

/** Creates a second provider on the same clock for tests that need two stores; always destroys it. */
export async function withSecondProvider<T>(
  options: ResolvedConformanceOptions,
  clock: ManualClock,
  body: (provider: Provider) => Promise<T>,
): Promise<T> {
  const provider = await options.createProvider({ clock });
  try {
    return await body(provider);
  } finally {
    await options.destroyProvider(provider);
  }
}

/** A one-shot signal concurrent tasks wait on (the kit's stand-in for a barrier). */
export class Signal {
  private release!: () => void;
  /** Resolves once `fire` has been called. */
  readonly fired: Promise<void> = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  /** Releases every waiter. */
  fire(): void {
    this.release();
  }
}

/** Resolves after `ms` of real time; used only to stagger concurrent contenders, never to wait for state. */
export function stagger(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Moves the clock just past a lock of `lockTimeoutMs` taken now. */
export function expireLock(t: ProviderUnderTest, lockTimeoutMs = t.lockTimeoutMs): void {
  t.clock.advance(lockTimeoutMs + 1);
}
