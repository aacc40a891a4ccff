import { decodeWith, type PayloadDecoders } from '../definitions.js';
import { DurableError } from '../errors.js';
import { encodePayload } from '../history/payload.js';
import type { Action } from './actions.js';
import { ActivityTaskImpl } from './activity-task.js';
import { createAll, createRace } from './composition.js';
import type {
  ActivityOptions,
  ActivityRef,
  ActivityTask,
  DurableTask,
  OrchestrationContext,
  OrchestrationRef,
  RetryPolicy,
  SubOrchestrationOptions,
} from './context-api.js';
import { DurableTaskImpl } from './durable-task.js';
import type { KvState } from './kv-state.js';
import { normalizeRetryPolicy, runWithRetry } from './retry.js';
import {
  SYSTEM_ACTIVITY_GET_KV_VALUE,
  SYSTEM_ACTIVITY_NEW_GUID,
  SYSTEM_ACTIVITY_UTC_NOW,
} from './system-activities.js';
import type { TurnScope } from './turn-scope.js';

/** Identity and environment of one turn's context. */
export interface ContextIdentity {
  instanceId: string;
  executionId: number;
  orchestrationName: string;
  orchestrationVersion: string;
  /** Wall clock of the turn (timer fire times and KV write times; history wins on replay). */
  nowMs: number;
  trace?: (level: 'info' | 'warn' | 'error' | 'debug', message: string) => void;
}

type TraceLevel = 'info' | 'warn' | 'error' | 'debug';

function refName(ref: unknown, what: string): string {
  const name = typeof ref === 'string' ? ref : (ref as { name?: unknown } | null)?.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw new DurableError(
      'INVALID_INPUT',
      `${what} needs a non-empty name or a typed handle, got ${String(ref)}`,
    );
  }
  return name;
}

/** The typed handle's output check as a task transform (null for names and unchecked handles). */
function outputDecoder(ref: unknown, what: string): ((value: unknown) => unknown) | null {
  const decode = (ref as { decoders?: PayloadDecoders<unknown, unknown> } | null)?.decoders?.output;
  return typeof decode === 'function' ? (value) => decodeWith(decode, value, what) : null;
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string')
    throw new DurableError('INVALID_INPUT', `${what} must be a string, got ${typeof value}`);
  return value;
}

/** The deterministic context handed to orchestration code for one turn. */
export class OrchestrationContextImpl implements OrchestrationContext {
  /** Current custom status (seeded from `OrchestrationStarted.initialCustomStatus`). */
  customStatus: string | null;

  constructor(
    private readonly scope: TurnScope,
    private readonly id: ContextIdentity,
    /** The KV store as the code sees it. */
    readonly kv: KvState,
    initialCustomStatus: string | null,
  ) {
    this.customStatus = initialCustomStatus;
  }

  /** A resumed turn (instance cache) brings its own clock and trace sink; everything else carries over. */
  beginResumedTurn(nowMs: number, trace: ContextIdentity['trace']): void {
    this.id.nowMs = nowMs;
    if (trace === undefined) delete this.id.trace;
    else this.id.trace = trace;
  }

  get instanceId(): string {
    return this.id.instanceId;
  }
  get executionId(): number {
    return this.id.executionId;
  }
  get orchestrationName(): string {
    return this.id.orchestrationName;
  }
  get orchestrationVersion(): string {
    return this.id.orchestrationVersion;
  }
  get isReplaying(): boolean {
    return this.scope.replaying;
  }

  private record(action: Action, operation: string): void {
    this.scope.record(action, operation);
  }

  private activity(name: string, input: string, sessionId: string | undefined, op: string): ActivityTaskImpl {
    this.scope.assertLive(op);
    if (sessionId !== undefined) requireString(sessionId, 'sessionId');
    const task = new ActivityTaskImpl(this.scope);
    const action: Extract<Action, { type: 'activity' }> = { type: 'activity', name, input, task };
    if (sessionId !== undefined) action.sessionId = sessionId;
    task.action = action;
    this.record(action, op);
    return task;
  }

  /** Each attempt checks its own result, so a result that fails the handle's decoder counts as a failed attempt. */
  private retrying(
    ref: unknown,
    name: string,
    input: string,
    retry: RetryPolicy,
    sessionId?: string,
  ): DurableTaskImpl {
    const policy = normalizeRetryPolicy(retry);
    this.scope.assertLive('scheduleActivityWithRetry');
    const decode = outputDecoder(ref, `result of activity '${name}'`);
    return runWithRetry(
      {
        scope: this.scope,
        schedule: () => {
          const attempt = this.activity(name, input, sessionId, 'scheduleActivityWithRetry');
          attempt.transform = decode;
          return attempt;
        },
        timer: (ms) => this.scheduleTimer(ms) as DurableTaskImpl,
        warn: (message) => this.traceWarn(message),
      },
      policy,
      name,
    );
  }

  scheduleActivity(
    activity: ActivityRef<any, any>,
    input?: unknown,
    options?: ActivityOptions,
  ): ActivityTask<any> {
    const name = refName(activity, 'scheduleActivity');
    const encoded = encodePayload(input, `input of activity '${name}'`);
    if (options?.retry !== undefined) {
      if (options.tag !== undefined) {
        throw new DurableError('INVALID_INPUT', 'scheduleActivity: tag cannot be combined with retry');
      }
      const task = this.retrying(activity, name, encoded, options.retry, options.sessionId);
      return Object.assign(task, {
        withTag(): never {
          throw new DurableError('INVALID_INPUT', 'withTag is not available on retried activities');
        },
      }) as unknown as ActivityTask<any>;
    }
    const task = this.activity(name, encoded, options?.sessionId, 'scheduleActivity');
    task.transform = outputDecoder(activity, `result of activity '${name}'`);
    // withTag returns the same (engine-settled) task, not a new promise.
    if (options?.tag !== undefined) void task.withTag(options.tag);
    return task;
  }

  scheduleActivityWithRetry<I, O>(activity: ActivityRef<I, O>, input: I, retry: RetryPolicy): DurableTask<O> {
    const name = refName(activity, 'scheduleActivityWithRetry');
    return this.retrying(
      activity,
      name,
      encodePayload(input, `input of activity '${name}'`),
      retry,
    ) as DurableTask<O>;
  }

  scheduleActivityOnSession<I, O>(activity: ActivityRef<I, O>, input: I, sessionId: string): ActivityTask<O> {
    const name = refName(activity, 'scheduleActivityOnSession');
    const encoded = encodePayload(input, `input of activity '${name}'`);
    const task = this.activity(
      name,
      encoded,
      requireString(sessionId, 'sessionId'),
      'scheduleActivityOnSession',
    );
    task.transform = outputDecoder(activity, `result of activity '${name}'`);
    return task as ActivityTask<O>;
  }

  scheduleActivityWithRetryOnSession<I, O>(
    activity: ActivityRef<I, O>,
    input: I,
    retry: RetryPolicy,
    sessionId: string,
  ): DurableTask<O> {
    const name = refName(activity, 'scheduleActivityWithRetryOnSession');
    const encoded = encodePayload(input, `input of activity '${name}'`);
    return this.retrying(
      activity,
      name,
      encoded,
      retry,
      requireString(sessionId, 'sessionId'),
    ) as DurableTask<O>;
  }

  scheduleTimer(delayMs: number): DurableTask<null> {
    this.scope.assertLive('scheduleTimer');
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new DurableError(
        'INVALID_INPUT',
        `scheduleTimer needs a finite delay >= 0 ms, got ${String(delayMs)}`,
      );
    }
    const task = new DurableTaskImpl(this.scope, 'timer');
    this.record({ type: 'timer', delayMs: Math.floor(delayMs), task }, 'scheduleTimer');
    return task as DurableTask<null>;
  }

  waitForEvent<T = any>(name: string): DurableTask<T> {
    this.scope.assertLive('waitForEvent');
    const task = new DurableTaskImpl(this.scope, 'wait');
    this.record({ type: 'wait', name: refName(name, 'waitForEvent'), task }, 'waitForEvent');
    return task as DurableTask<T>;
  }

  dequeueEvent<T = any>(queueName: string): DurableTask<T> {
    this.scope.assertLive('dequeueEvent');
    const task = new DurableTaskImpl(this.scope, 'dequeue');
    this.record({ type: 'dequeue', name: refName(queueName, 'dequeueEvent'), task }, 'dequeueEvent');
    return task as DurableTask<T>;
  }

  private subOrchestration(
    ref: unknown,
    input: unknown,
    version?: string,
    instanceId?: string,
  ): DurableTask<any> {
    this.scope.assertLive('scheduleSubOrchestration');
    const name = refName(ref, 'scheduleSubOrchestration');
    const encoded = encodePayload(input, `input of sub-orchestration '${name}'`);
    const task = new DurableTaskImpl(this.scope, 'subOrchestration');
    task.transform = outputDecoder(ref, `result of sub-orchestration '${name}'`);
    const action: Extract<Action, { type: 'subOrchestration' }> = {
      type: 'subOrchestration',
      name,
      input: encoded,
      task,
    };
    if (version !== undefined) action.version = requireString(version, 'sub-orchestration version');
    if (instanceId !== undefined) action.instance = refName(instanceId, 'sub-orchestration instance id');
    this.record(action, 'scheduleSubOrchestration');
    return task;
  }

  scheduleSubOrchestration<I, O>(
    orchestration: OrchestrationRef<I, O>,
    input?: I,
    options?: SubOrchestrationOptions,
  ): DurableTask<O> {
    return this.subOrchestration(orchestration, input, options?.version, options?.instanceId);
  }

  scheduleSubOrchestrationWithId<I, O>(
    orchestration: OrchestrationRef<I, O>,
    instanceId: string,
    input?: I,
  ): DurableTask<O> {
    return this.subOrchestration(orchestration, input, undefined, instanceId);
  }

  scheduleSubOrchestrationVersioned<I, O>(
    orchestration: OrchestrationRef<I, O>,
    version: string,
    input?: I,
  ): DurableTask<O> {
    return this.subOrchestration(orchestration, input, version);
  }

  scheduleSubOrchestrationVersionedWithId<I, O>(
    orchestration: OrchestrationRef<I, O>,
    version: string,
    instanceId: string,
    input?: I,
  ): DurableTask<O> {
    return this.subOrchestration(orchestration, input, version, instanceId);
  }

  private detached(ref: unknown, instanceId: string, input: unknown, version?: string): DurableTask<null> {
    this.scope.assertLive('startOrchestration');
    const name = refName(ref, 'startOrchestration');
    const encoded = encodePayload(input, `input of orchestration '${name}'`);
    const task = new DurableTaskImpl(this.scope, 'detached');
    const instance = refName(instanceId, 'startOrchestration instance id');
    const action: Extract<Action, { type: 'detached' }> = {
      type: 'detached',
      name,
      instance,
      input: encoded,
      task,
    };
    if (version !== undefined) action.version = requireString(version, 'orchestration version');
    this.record(action, 'startOrchestration');
    task.settle(true, null);
    return task as DurableTask<null>;
  }

  startOrchestration<I>(
    orchestration: OrchestrationRef<I, unknown>,
    instanceId: string,
    input?: I,
  ): DurableTask<null> {
    return this.detached(orchestration, instanceId, input);
  }

  startOrchestrationVersioned<I>(
    orchestration: OrchestrationRef<I, unknown>,
    version: string,
    instanceId: string,
    input?: I,
  ): DurableTask<null> {
    return this.detached(orchestration, instanceId, input, version);
  }

  /** Property access opens the attribution window for async blocks evaluated in the argument list. */
  get all(): OrchestrationContext['all'] {
    const scope = this.scope;
    const window = scope.live ? scope.openWindow() : null;
    return ((tasks: readonly unknown[]) => {
      scope.assertLive('all');
      if (!Array.isArray(tasks)) throw new DurableError('INVALID_INPUT', 'ctx.all expects an array of tasks');
      return createAll(scope, tasks, scope.closeWindow(window, tasks));
    }) as OrchestrationContext['all'];
  }

  /** Property access opens the attribution window for async blocks evaluated in the argument list. */
  get race(): OrchestrationContext['race'] {
    const scope = this.scope;
    const window = scope.live ? scope.openWindow() : null;
    return ((...args: unknown[]) => {
      scope.assertLive('race');
      const members = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
      return createRace(scope, members, scope.closeWindow(window, members));
    }) as OrchestrationContext['race'];
  }

  private system(name: string, input: string, transform: (value: unknown) => unknown): DurableTaskImpl {
    const task = this.activity(name, input, undefined, name.slice(name.indexOf(':') + 1));
    task.transform = transform;
    return task;
  }

  utcNow(): DurableTask<number> {
    return this.system(SYSTEM_ACTIVITY_UTC_NOW, 'null', (v) => Number(v)) as DurableTask<number>;
  }

  newGuid(): DurableTask<string> {
    return this.system(SYSTEM_ACTIVITY_NEW_GUID, 'null', (v) => String(v)) as DurableTask<string>;
  }

  getValueFromInstance(instanceId: string, key: string): DurableTask<string | null> {
    const input = JSON.stringify({
      instanceId: requireString(instanceId, 'instanceId'),
      key: requireString(key, 'key'),
    });
    return this.system(SYSTEM_ACTIVITY_GET_KV_VALUE, input, (v) =>
      v === null || v === undefined ? null : String(v),
    ) as DurableTask<string | null>;
  }

  continueAsNew(input?: unknown): Promise<never> {
    this.record(
      { type: 'continueAsNew', input: encodePayload(input, 'continue-as-new input') },
      'continueAsNew',
    );
    return new Promise<never>(() => {});
  }

  continueAsNewVersioned(input: unknown, version: string): Promise<never> {
    const encoded = encodePayload(input, 'continue-as-new input');
    this.record(
      { type: 'continueAsNew', input: encoded, version: requireString(version, 'continue-as-new version') },
      'continueAsNewVersioned',
    );
    return new Promise<never>(() => {});
  }

  setCustomStatus(value: string): void {
    requireString(value, 'custom status');
    this.record({ type: 'customStatus', status: value }, 'setCustomStatus');
    this.customStatus = value;
  }

  resetCustomStatus(): void {
    this.record({ type: 'customStatus', status: null }, 'resetCustomStatus');
    this.customStatus = null;
  }

  getCustomStatus(): string | null {
    return this.customStatus;
  }

  setValue(key: string, value: string): void {
    requireString(key, 'KV key');
    requireString(value, `KV value for key '${key}'`);
    const atMs = this.id.nowMs;
    this.record({ type: 'kvSet', key, value, atMs }, 'setValue');
    this.kv.set(key, value, atMs);
  }

  getValue(key: string): string | null {
    return this.kv.get(key);
  }

  clearValue(key: string): void {
    requireString(key, 'KV key');
    this.record({ type: 'kvClear', key }, 'clearValue');
    this.kv.clear(key);
  }

  clearAllValues(): void {
    this.record({ type: 'kvClearAll' }, 'clearAllValues');
    this.kv.clearAll();
  }

  getKvAllValues(): Record<string, string> {
    return this.kv.values();
  }

  getKvAllKeys(): string[] {
    return this.kv.keys();
  }

  getKvLength(): number {
    return this.kv.size;
  }

  pruneKvValuesUpdatedBefore(cutoffMs: number): number {
    const keys = this.kv.keysUpdatedBefore(cutoffMs);
    for (const key of keys) this.clearValue(key);
    return keys.length;
  }

  private trace(level: TraceLevel, message: string): void {
    if (!this.scope.replaying && this.scope.live) this.id.trace?.(level, message);
  }

  traceInfo(message: string): void {
    this.trace('info', message);
  }
  traceWarn(message: string): void {
    this.trace('warn', message);
  }
  traceError(message: string): void {
    this.trace('error', message);
  }
  traceDebug(message: string): void {
    this.trace('debug', message);
  }
}
