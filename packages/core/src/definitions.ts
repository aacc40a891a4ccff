import type { Client } from './client/client.js';
import { ConfigurationError, DurableError } from './errors.js';
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

/**
 * Checks a decoded JSON payload and returns it typed, or throws (a zod schema's `parse` fits). Payloads
 * cross process and version boundaries, so a typed handle may validate what it receives at run time.
 */
export type Decoder<T> = (value: unknown) => T;

/** Optional run-time checks of a typed handle's payloads. */
export interface PayloadDecoders<I, O> {
  /** Validates the input before the handler sees it (a failure fails the activity or orchestration). */
  input?: Decoder<I>;
  /** Validates the result where it is consumed (a failure rejects the awaiting task with `DECODE_FAILED`). */
  output?: Decoder<O>;
}

/** A typed activity handle usable wherever an activity name is. */
export interface ActivityDefinition<I = any, O = any> {
  readonly type: 'activity';
  readonly name: string;
  readonly handler: ActivityHandler<I, O>;
  /** Run-time payload checks, when declared. */
  readonly decoders?: PayloadDecoders<I, O>;
}

/** A typed orchestration handle usable wherever an orchestration name is. */
export interface OrchestrationDefinition<I = any, O = any> {
  readonly type: 'orchestration';
  readonly name: string;
  /** Registered version; `1.0.0` when omitted. */
  readonly version: string | undefined;
  readonly handler: OrchestrationHandler<I, O>;
  /** Run-time payload checks, when declared. */
  readonly decoders?: PayloadDecoders<I, O>;
}

/** Declares a typed activity; register it with `runtime.register(def)` and call it with `ctx.scheduleActivity(def, input)`. */
export function defineActivity<I, O>(
  name: string,
  handler: ActivityHandler<I, O>,
  options?: PayloadDecoders<I, Awaited<O>>,
): ActivityDefinition<I, Awaited<O>> {
  const def = { type: 'activity' as const, name, handler: handler as ActivityHandler<I, Awaited<O>> };
  const decoders = checkDecoders(options, `activity '${name}'`);
  return decoders ? { ...def, decoders } : def;
}

/** Declares a typed orchestration; start it with `client.startOrchestration(id, def, input)`. */
export function defineOrchestration<I, O>(
  name: string,
  handler: OrchestrationHandler<I, O>,
  options?: { version?: string } & PayloadDecoders<I, O>,
): OrchestrationDefinition<I, O> {
  const def = { type: 'orchestration' as const, name, version: options?.version, handler };
  const decoders = checkDecoders(options, `orchestration '${name}'`);
  return decoders ? { ...def, decoders } : def;
}

/** Runs a handle's decoder, naming the payload in the `DECODE_FAILED` error when it throws. */
export function decodeWith<T>(decoder: Decoder<T>, value: unknown, what: string): T {
  try {
    return decoder(value);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new DurableError('DECODE_FAILED', `${what} failed to decode: ${reason}`, { cause: err });
  }
}

function checkDecoders<I, O>(
  options: PayloadDecoders<I, O> | undefined,
  label: string,
): PayloadDecoders<I, O> | undefined {
  if (options?.input === undefined && options?.output === undefined) return undefined;
  const decoders: PayloadDecoders<I, O> = {};
  for (const key of ['input', 'output'] as const) {
    const decoder = options[key];
    if (decoder === undefined) continue;
    if (typeof decoder !== 'function') {
      throw new ConfigurationError(`${label}: the ${key} decoder must be a function, got ${typeof decoder}`);
    }
    (decoders as Record<string, unknown>)[key] = decoder;
  }
  return decoders;
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
