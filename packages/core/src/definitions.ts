import type { Client } from './client/client.js';
import type { OrchestrationContext } from './replay/context-api.js';

/** What an activity handler receives besides its input. */
export interface ActivityContext {
  readonly instanceId: string;
  readonly executionId: number;
  readonly orchestrationName: string;
  readonly orchestrationVersion: string;
  readonly activityName: string;
  /** The event id of the activity's `ActivityScheduled` event. */
  readonly activityId: number;
  readonly workerId: string;
  /** The session the activity is pinned to, or null. */
  readonly sessionId: string | null;
  /** Aborted when the activity's result is no longer wanted (race lost, orchestration ended, lock lost). */
  readonly signal: AbortSignal;
  /** The activity's tag, or null. */
  tag(): string | null;
  /** Whether cancellation was requested. */
  isCancelled(): boolean;
  /** A client over the same provider (management from inside an activity). */
  getClient(): Client;
  traceInfo(message: string): void;
  traceWarn(message: string): void;
  traceError(message: string): void;
  traceDebug(message: string): void;
}

/** An activity implementation. */
export type ActivityHandler<I = any, O = any> = (ctx: ActivityContext, input: I) => Promise<O> | O;

/** An orchestration implementation: an async function or a generator yielding durable tasks. */
export type OrchestrationHandler<I = any, O = any> =
  | ((ctx: OrchestrationContext, input: I) => Promise<O>)
  | ((ctx: OrchestrationContext, input: I) => Generator<unknown, O, any>);

/** A typed activity handle usable wherever an activity name is. */
export interface ActivityDefinition<I = any, O = any> {
  readonly type: 'activity';
  readonly name: string;
  readonly handler: ActivityHandler<I, O>;
}

/** A typed orchestration handle usable wherever an orchestration name is. */
export interface OrchestrationDefinition<I = any, O = any> {
  readonly type: 'orchestration';
  readonly name: string;
  /** Registered version; `1.0.0` when omitted. */
  readonly version: string | undefined;
  readonly handler: OrchestrationHandler<I, O>;
}

/** Declares a typed activity; register it with `runtime.register(def)` and call it with `ctx.scheduleActivity(def, input)`. */
export function defineActivity<I, O>(
  name: string,
  handler: ActivityHandler<I, O>,
): ActivityDefinition<I, Awaited<O>> {
  return { type: 'activity', name, handler: handler as ActivityHandler<I, Awaited<O>> };
}

/** Declares a typed orchestration; start it with `client.startOrchestration(id, def, input)`. */
export function defineOrchestration<I, O>(
  name: string,
  handler: OrchestrationHandler<I, O>,
  options?: { version?: string },
): OrchestrationDefinition<I, O> {
  return { type: 'orchestration', name, version: options?.version, handler };
}

/** The input type of a typed handle. */
export type InputOf<D> =
  D extends ActivityDefinition<infer I, any>
    ? I
    : D extends OrchestrationDefinition<infer I, any>
      ? I
      : unknown;

/** The output type of a typed handle. */
export type OutputOf<D> =
  D extends ActivityDefinition<any, infer O>
    ? O
    : D extends OrchestrationDefinition<any, infer O>
      ? O
      : unknown;
