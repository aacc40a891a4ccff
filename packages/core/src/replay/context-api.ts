import type { ActivityDefinition, OrchestrationDefinition } from '../definitions.js';

/** A durable operation's result: awaitable, yieldable from generators, and cancellable. */
export interface DurableTask<T> extends PromiseLike<T> {
  /** Cancels the pending operation (activity, sub-orchestration, wait or dequeue) with duroxide's breadcrumbs. */
  cancel(): void;
  /** Like `Promise.prototype.catch`, for convenience in orchestration code. */
  catch<R = never>(onRejected?: ((reason: any) => R | PromiseLike<R>) | null): PromiseLike<T | R>;
}

/** A scheduled activity; `withTag` routes it to workers accepting the tag (call it right after scheduling). */
export interface ActivityTask<T> extends DurableTask<T> {
  withTag(tag: string): ActivityTask<T>;
}

/** How a failed activity is retried; all delays are durable timers. */
export interface RetryPolicy {
  /** Total attempts including the first (>= 1); default 3. */
  maxAttempts?: number;
  /** Delay growth between attempts; default `exponential`. */
  backoff?: 'none' | 'fixed' | 'linear' | 'exponential';
  /** First delay; default 100 ms. */
  initialDelayMs?: number;
  /** Cap on any delay; default 30 s. */
  maxDelayMs?: number;
  /** Growth factor for `exponential`; default 2. */
  multiplier?: number;
  /** Bound on each attempt; a timed-out attempt fails with `timeout:` and is not retried. */
  timeoutMs?: number;
  /** Bound on all attempts together. */
  totalTimeoutMs?: number;
}

/** Options of `scheduleActivity`. */
export interface ActivityOptions {
  sessionId?: string;
  tag?: string;
  retry?: RetryPolicy;
}

/** Options of `scheduleSubOrchestration`. */
export interface SubOrchestrationOptions {
  /** Explicit child instance id; default `<parent>::sub::<eventId>` (`<parent>::sub::<executionId>-<eventId>` after continue-as-new). */
  instanceId?: string;
  /** Exact child version; default the latest registered. */
  version?: string;
}

/** One member's outcome in `ctx.all`. */
export type Settled<T> = { ok: T } | { err: string };

/** Something `ctx.all`/`ctx.race` accept: a durable task or any promise (an async block). */
export type Awaitable<T> = DurableTask<T> | PromiseLike<T>;

type AwaitedOf<A> = A extends PromiseLike<infer T> ? T : never;

/** The result of `ctx.race`: which member won first in history order, and its value. */
export type RaceResult<A extends readonly unknown[]> = {
  [K in keyof A]: { index: K extends `${infer N extends number}` ? N : number; value: AwaitedOf<A[K]> };
}[number];

/** Activity reference: a name or a typed handle. */
export type ActivityRef<I, O> = string | ActivityDefinition<I, O>;
/** Orchestration reference: a name or a typed handle. */
export type OrchestrationRef<I, O> = string | OrchestrationDefinition<I, O>;

/** The deterministic context every orchestration receives. */
export interface OrchestrationContext {
  readonly instanceId: string;
  readonly executionId: number;
  readonly orchestrationName: string;
  readonly orchestrationVersion: string;
  /** True while the code re-runs steps already recorded in history. */
  readonly isReplaying: boolean;

  scheduleActivity<I, O>(
    activity: ActivityDefinition<I, O>,
    input?: I,
    options?: ActivityOptions,
  ): ActivityTask<O>;
  scheduleActivity<T = any>(name: string, input?: unknown, options?: ActivityOptions): ActivityTask<T>;
  /** Explicit type arguments (`<Input, Output>`) with a name or a handle. */
  scheduleActivity<I, O>(ref: ActivityRef<I, O>, input?: I, options?: ActivityOptions): ActivityTask<O>;
  scheduleActivityWithRetry<I, O>(
    activity: ActivityDefinition<I, O>,
    input: I,
    retry: RetryPolicy,
  ): DurableTask<O>;
  scheduleActivityWithRetry<T = any>(name: string, input: unknown, retry: RetryPolicy): DurableTask<T>;
  /** Explicit type arguments (`<Input, Output>`) with a name or a handle. */
  scheduleActivityWithRetry<I, O>(ref: ActivityRef<I, O>, input: I, retry: RetryPolicy): DurableTask<O>;
  scheduleActivityOnSession<I, O>(
    activity: ActivityDefinition<I, O>,
    input: I,
    sessionId: string,
  ): ActivityTask<O>;
  scheduleActivityOnSession<T = any>(name: string, input: unknown, sessionId: string): ActivityTask<T>;
  /** Explicit type arguments (`<Input, Output>`) with a name or a handle. */
  scheduleActivityOnSession<I, O>(ref: ActivityRef<I, O>, input: I, sessionId: string): ActivityTask<O>;
  scheduleActivityWithRetryOnSession<I, O>(
    activity: ActivityDefinition<I, O>,
    input: I,
    retry: RetryPolicy,
    sessionId: string,
  ): DurableTask<O>;
  scheduleActivityWithRetryOnSession<T = any>(
    name: string,
    input: unknown,
    retry: RetryPolicy,
    sessionId: string,
  ): DurableTask<T>;
  /** Explicit type arguments (`<Input, Output>`) with a name or a handle. */
  scheduleActivityWithRetryOnSession<I, O>(
    ref: ActivityRef<I, O>,
    input: I,
    retry: RetryPolicy,
    sessionId: string,
  ): DurableTask<O>;

  /** Resolves with null after `delayMs` of durable time. */
  scheduleTimer(delayMs: number): DurableTask<null>;
  /** Resolves with the data of the next external event of this name raised after the subscription. */
  waitForEvent<T = any>(name: string): DurableTask<T>;
  /** Resolves with the next message of a persistent FIFO queue. */
  dequeueEvent<T = any>(queueName: string): DurableTask<T>;

  scheduleSubOrchestration<I, O>(
    orchestration: OrchestrationDefinition<I, O>,
    input?: I,
    options?: SubOrchestrationOptions,
  ): DurableTask<O>;
  scheduleSubOrchestration<T = any>(
    name: string,
    input?: unknown,
    options?: SubOrchestrationOptions,
  ): DurableTask<T>;
  /** Explicit type arguments (`<Input, Output>`) with a name or a handle. */
  scheduleSubOrchestration<I, O>(
    ref: OrchestrationRef<I, O>,
    input?: I,
    options?: SubOrchestrationOptions,
  ): DurableTask<O>;
  scheduleSubOrchestrationWithId<I, O>(
    orchestration: OrchestrationDefinition<I, O>,
    instanceId: string,
    input?: I,
  ): DurableTask<O>;
  scheduleSubOrchestrationWithId<T = any>(name: string, instanceId: string, input?: unknown): DurableTask<T>;
  /** Explicit type arguments (`<Input, Output>`) with a name or a handle. */
  scheduleSubOrchestrationWithId<I, O>(
    ref: OrchestrationRef<I, O>,
    instanceId: string,
    input?: I,
  ): DurableTask<O>;
  scheduleSubOrchestrationVersioned<I, O>(
    orchestration: OrchestrationDefinition<I, O>,
    version: string,
    input?: I,
  ): DurableTask<O>;
  scheduleSubOrchestrationVersioned<T = any>(name: string, version: string, input?: unknown): DurableTask<T>;
  /** Explicit type arguments (`<Input, Output>`) with a name or a handle. */
  scheduleSubOrchestrationVersioned<I, O>(
    ref: OrchestrationRef<I, O>,
    version: string,
    input?: I,
  ): DurableTask<O>;
  scheduleSubOrchestrationVersionedWithId<I, O>(
    orchestration: OrchestrationDefinition<I, O>,
    version: string,
    instanceId: string,
    input?: I,
  ): DurableTask<O>;
  scheduleSubOrchestrationVersionedWithId<T = any>(
    name: string,
    version: string,
    instanceId: string,
    input?: unknown,
  ): DurableTask<T>;
  /** Explicit type arguments (`<Input, Output>`) with a name or a handle. */
  scheduleSubOrchestrationVersionedWithId<I, O>(
    ref: OrchestrationRef<I, O>,
    version: string,
    instanceId: string,
    input?: I,
  ): DurableTask<O>;

  /** Starts an independent (detached) instance; resolves with null. */
  startOrchestration<I>(
    orchestration: OrchestrationRef<I, unknown>,
    instanceId: string,
    input?: I,
  ): DurableTask<null>;
  startOrchestrationVersioned<I>(
    orchestration: OrchestrationRef<I, unknown>,
    version: string,
    instanceId: string,
    input?: I,
  ): DurableTask<null>;

  /** Waits for every member; results in input order, failures as `{ err }`. */
  all<const A extends readonly Awaitable<unknown>[]>(
    tasks: A,
  ): DurableTask<{ [K in keyof A]: Settled<AwaitedOf<A[K]>> }>;
  /** The first member to finish in history order wins; losers are cancelled; a failed winner rejects. */
  race<const A extends readonly Awaitable<unknown>[]>(...tasks: A): DurableTask<RaceResult<A>>;
  race<const A extends readonly Awaitable<unknown>[]>(tasks: A): DurableTask<RaceResult<A>>;

  /** Deterministic current time in epoch ms (recorded on first execution). */
  utcNow(): DurableTask<number>;
  /** Deterministic GUID string (recorded on first execution). */
  newGuid(): DurableTask<string>;
  /** Reads another instance's KV value (recorded on first execution). */
  getValueFromInstance(instanceId: string, key: string): DurableTask<string | null>;

  /** Ends this execution and starts a new one with `input`; never resolves. */
  continueAsNew(input?: unknown): Promise<never>;
  continueAsNewVersioned(input: unknown, version: string): Promise<never>;

  setCustomStatus(value: string): void;
  resetCustomStatus(): void;
  getCustomStatus(): string | null;

  setValue(key: string, value: string): void;
  getValue(key: string): string | null;
  clearValue(key: string): void;
  clearAllValues(): void;
  getKvAllValues(): Record<string, string>;
  getKvAllKeys(): string[];
  getKvLength(): number;
  /** Clears keys last written before `cutoffMs`; returns how many. */
  pruneKvValuesUpdatedBefore(cutoffMs: number): number;

  /** Logs only when not replaying. */
  traceInfo(message: string): void;
  traceWarn(message: string): void;
  traceError(message: string): void;
  traceDebug(message: string): void;
}
