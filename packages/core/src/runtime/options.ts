import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { ConfigurationError } from '../errors.js';
import { compareSemver, type SemverRange, tryParseSemver } from '../history/semver.js';
import { type TagFilter, validateTagFilter } from '../history/tag-filter.js';
import {
  consoleLogger,
  detectLoggerStyle,
  isLogThreshold,
  type Logger,
  type LoggerStyle,
  type LogThreshold,
} from '../observability/logger.js';
import type { MetricsSink } from '../observability/metrics.js';
import { type Clock, systemClock } from '../provider/clock.js';
import { DUROXIDE_VERSION } from '../version.js';

/** Observability settings of a runtime. */
export interface ObservabilityOptions {
  /** Where log lines go; default `console`. */
  logger?: Logger;
  /** Threshold for runtime diagnostics; default `warn`. */
  logLevel?: LogThreshold;
  /** Threshold for user traces (`ctx.trace*`); default `info`. */
  traceLevel?: LogThreshold;
  /**
   * How the logger takes its arguments: `console` style `(message, fields)` or pino/bunyan style
   * `(fields, message)`; default: pino style for pino loggers, console style otherwise.
   */
  loggerStyle?: LoggerStyle;
  /** Receives every named metric (duroxide's names); default none (the snapshot counters still work). */
  metricsSink?: MetricsSink;
  /** Where OpenTelemetry metrics go; default the global MeterProvider of `@opentelemetry/api`. */
  meterProvider?: MeterProvider;
  /** Where OpenTelemetry spans go; default the global TracerProvider of `@opentelemetry/api`. */
  tracerProvider?: TracerProvider;
  /** How often the queue-depth and active-orchestration gauges are refreshed; default 60 000 ms. */
  gaugePollIntervalMs?: number;
  /** Service name reported with telemetry; default `duroxide`. */
  serviceName?: string;
  /** Service version reported with telemetry; default none. */
  serviceVersion?: string;
}

/** How long a missing handler's work waits before it is retried: `min(base × 2^min(attempt−1, 6), max)`. */
export interface UnregisteredBackoffOptions {
  /** Delay of the first retry; default 1 000 ms. */
  baseDelayMs?: number;
  /** Largest delay; default 60 000 ms. */
  maxDelayMs?: number;
}

/** Runtime settings; every field is optional and in milliseconds where it is a duration. */
export interface RuntimeOptions {
  /** Concurrent orchestration turns (dispatcher slots); default 4; 0 makes a worker-only runtime. */
  orchestrationConcurrency?: number;
  /** Concurrent activities (worker slots); default 8; 0 makes an orchestrator-only runtime. */
  workerConcurrency?: number;
  /** Minimum cycle time of a fetch that found no work; default 100 ms. */
  dispatcherMinPollIntervalMs?: number;
  /** How long a long-polling provider may block a fetch; default 30 000 ms. */
  dispatcherLongPollTimeoutMs?: number;
  /** Instance lock duration; default 5 000 ms. */
  orchestratorLockTimeoutMs?: number;
  /** Renewal buffer of the instance lock (§5.5); default 2 000 ms. */
  orchestratorLockRenewalBufferMs?: number;
  /** Activity lock duration; default 30 000 ms. */
  workerLockTimeoutMs?: number;
  /** Renewal buffer of the activity lock; default 5 000 ms. */
  workerLockRenewalBufferMs?: number;
  /** Fetches of one message before it is poison (poison when attempts > maxAttempts); default 10. */
  maxAttempts?: number;
  /** Backoff for work whose handler is not registered here (rolling deploys). */
  unregisteredBackoff?: UnregisteredBackoffOptions;
  /** How long a cancelled activity may take to stop before its slot is freed; default 10 000 ms. */
  activityCancellationGracePeriodMs?: number;
  /** Pinned runtime versions this runtime replays; default `[{ min: '0.0.0', max: DUROXIDE_VERSION }]`. */
  supportedReplayVersions?: SemverRange[] | null;
  /** Session ownership lease; default 30 000 ms. */
  sessionLockTimeoutMs?: number;
  /** Renewal buffer of the session lease; default 5 000 ms. */
  sessionLockRenewalBufferMs?: number;
  /** How long a session stays pinned after its last activity; default 300 000 ms. */
  sessionIdleTimeoutMs?: number;
  /** Interval of the orphaned-session sweep; default 300 000 ms. */
  sessionCleanupIntervalMs?: number;
  /** Distinct sessions this runtime owns at once; default 10; 0 never claims sessions. */
  maxSessionsPerRuntime?: number;
  /** Stable session-owner identity shared by all worker slots (e.g. a pod name); default none. */
  workerNodeId?: string | null;
  /** Which activity tags this runtime's workers run; default `defaultOnly` (untagged only). */
  workerTagFilter?: TagFilter;
  /** Logging and metrics. */
  observability?: ObservabilityOptions;
  /**
   * The clock stamped on history (event timestamps, timer fire times, KV writes, `ctx.utcNow()`); default
   * the wall clock. Pass the provider's `ManualClock` in tests so timers and visibility agree on one time.
   */
  clock?: Clock;
  /**
   * Orchestrations kept suspended in memory after their turn (least recently used dropped first), so the
   * next turn continues them instead of replaying the whole history; default 1 000; 0 disables the cache.
   */
  instanceCacheSize?: number;
  /**
   * For tests only: the duroxide version this runtime acts as (pinned on the executions it starts and the
   * top of its default replay range), to simulate older and newer nodes in rolling-upgrade tests.
   * Default `DUROXIDE_VERSION`.
   */
  duroxideVersion?: string;
}

/** Options after defaults and validation. */
export interface ResolvedRuntimeOptions {
  clock: Clock;
  orchestrationConcurrency: number;
  workerConcurrency: number;
  dispatcherMinPollIntervalMs: number;
  dispatcherLongPollTimeoutMs: number;
  orchestratorLockTimeoutMs: number;
  orchestratorLockRenewalBufferMs: number;
  workerLockTimeoutMs: number;
  workerLockRenewalBufferMs: number;
  maxAttempts: number;
  unregisteredBackoff: { baseDelayMs: number; maxDelayMs: number };
  activityCancellationGracePeriodMs: number;
  supportedReplayVersions: SemverRange[];
  sessionLockTimeoutMs: number;
  sessionLockRenewalBufferMs: number;
  sessionIdleTimeoutMs: number;
  sessionCleanupIntervalMs: number;
  maxSessionsPerRuntime: number;
  workerNodeId: string | null;
  workerTagFilter: TagFilter;
  duroxideVersion: string;
  instanceCacheSize: number;
  observability: {
    logger: Logger;
    loggerStyle: LoggerStyle;
    logLevel: LogThreshold;
    traceLevel: LogThreshold;
    metricsSink: MetricsSink | null;
    meterProvider: MeterProvider | null;
    tracerProvider: TracerProvider | null;
    gaugePollIntervalMs: number;
    serviceName: string;
    serviceVersion: string | null;
  };
}

/** The defaults: duroxide's (reference §5.2), except the concurrency, which follows duroxide-node (4 / 8). */
export const DEFAULT_RUNTIME_OPTIONS = {
  orchestrationConcurrency: 4,
  workerConcurrency: 8,
  dispatcherMinPollIntervalMs: 100,
  dispatcherLongPollTimeoutMs: 30_000,
  orchestratorLockTimeoutMs: 5_000,
  orchestratorLockRenewalBufferMs: 2_000,
  workerLockTimeoutMs: 30_000,
  workerLockRenewalBufferMs: 5_000,
  maxAttempts: 10,
  unregisteredBackoffBaseDelayMs: 1_000,
  unregisteredBackoffMaxDelayMs: 60_000,
  activityCancellationGracePeriodMs: 10_000,
  sessionLockTimeoutMs: 30_000,
  sessionLockRenewalBufferMs: 5_000,
  sessionIdleTimeoutMs: 300_000,
  sessionCleanupIntervalMs: 300_000,
  maxSessionsPerRuntime: 10,
  instanceCacheSize: 1_000,
  gaugePollIntervalMs: 60_000,
} as const;

const KNOWN_OPTIONS = new Set<string>([
  'clock',
  'orchestrationConcurrency',
  'workerConcurrency',
  'dispatcherMinPollIntervalMs',
  'dispatcherLongPollTimeoutMs',
  'orchestratorLockTimeoutMs',
  'orchestratorLockRenewalBufferMs',
  'workerLockTimeoutMs',
  'workerLockRenewalBufferMs',
  'maxAttempts',
  'unregisteredBackoff',
  'activityCancellationGracePeriodMs',
  'supportedReplayVersions',
  'sessionLockTimeoutMs',
  'sessionLockRenewalBufferMs',
  'sessionIdleTimeoutMs',
  'sessionCleanupIntervalMs',
  'maxSessionsPerRuntime',
  'workerNodeId',
  'workerTagFilter',
  'observability',
  'duroxideVersion',
  'instanceCacheSize',
]);

const KNOWN_OBSERVABILITY = new Set<string>([
  'logger',
  'loggerStyle',
  'logLevel',
  'traceLevel',
  'metricsSink',
  'meterProvider',
  'tracerProvider',
  'gaugePollIntervalMs',
  'serviceName',
  'serviceVersion',
]);

type Bound = { min: number; integer?: boolean; exclusiveMin?: boolean };

function num(value: unknown, name: string, fallback: number, bound: Bound): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigurationError(`${name}: expected a finite number, got ${describe(value)}`);
  }
  if (bound.integer && !Number.isInteger(value)) {
    throw new ConfigurationError(`${name}: expected an integer, got ${value}`);
  }
  const ok = bound.exclusiveMin ? value > bound.min : value >= bound.min;
  if (!ok) {
    throw new ConfigurationError(
      `${name}: must be ${bound.exclusiveMin ? '>' : '>='} ${bound.min}, got ${value}`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
}

function rejectUnknown(object: object, known: Set<string>, prefix: string): void {
  for (const key of Object.keys(object)) {
    if (!known.has(key)) {
      throw new ConfigurationError(`${prefix}${key}: unknown option (check the spelling)`);
    }
  }
}

const MS = { min: 0 } satisfies Bound;
const POSITIVE_MS = { min: 0, exclusiveMin: true } satisfies Bound;
const COUNT = { min: 0, integer: true } satisfies Bound;

/** Applies defaults and validates every option; throws a `ConfigurationError` naming the bad option. */
export function resolveRuntimeOptions(options: RuntimeOptions = {}): ResolvedRuntimeOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(`options: expected an object, got ${describe(options)}`);
  }
  rejectUnknown(options, KNOWN_OPTIONS, '');
  const d = DEFAULT_RUNTIME_OPTIONS;
  const o = options;
  const duroxideVersion = resolveDuroxideVersion(o.duroxideVersion);
  const resolved: ResolvedRuntimeOptions = {
    clock: resolveClock(o.clock),
    orchestrationConcurrency: num(
      o.orchestrationConcurrency,
      'orchestrationConcurrency',
      d.orchestrationConcurrency,
      COUNT,
    ),
    workerConcurrency: num(o.workerConcurrency, 'workerConcurrency', d.workerConcurrency, COUNT),
    dispatcherMinPollIntervalMs: num(
      o.dispatcherMinPollIntervalMs,
      'dispatcherMinPollIntervalMs',
      d.dispatcherMinPollIntervalMs,
      MS,
    ),
    dispatcherLongPollTimeoutMs: num(
      o.dispatcherLongPollTimeoutMs,
      'dispatcherLongPollTimeoutMs',
      d.dispatcherLongPollTimeoutMs,
      MS,
    ),
    orchestratorLockTimeoutMs: num(
      o.orchestratorLockTimeoutMs,
      'orchestratorLockTimeoutMs',
      d.orchestratorLockTimeoutMs,
      POSITIVE_MS,
    ),
    orchestratorLockRenewalBufferMs: num(
      o.orchestratorLockRenewalBufferMs,
      'orchestratorLockRenewalBufferMs',
      d.orchestratorLockRenewalBufferMs,
      MS,
    ),
    workerLockTimeoutMs: num(
      o.workerLockTimeoutMs,
      'workerLockTimeoutMs',
      d.workerLockTimeoutMs,
      POSITIVE_MS,
    ),
    workerLockRenewalBufferMs: num(
      o.workerLockRenewalBufferMs,
      'workerLockRenewalBufferMs',
      d.workerLockRenewalBufferMs,
      MS,
    ),
    maxAttempts: num(o.maxAttempts, 'maxAttempts', d.maxAttempts, { min: 1, integer: true }),
    unregisteredBackoff: resolveBackoff(o.unregisteredBackoff),
    activityCancellationGracePeriodMs: num(
      o.activityCancellationGracePeriodMs,
      'activityCancellationGracePeriodMs',
      d.activityCancellationGracePeriodMs,
      MS,
    ),
    supportedReplayVersions: resolveReplayVersions(o.supportedReplayVersions, duroxideVersion),
    sessionLockTimeoutMs: num(
      o.sessionLockTimeoutMs,
      'sessionLockTimeoutMs',
      d.sessionLockTimeoutMs,
      POSITIVE_MS,
    ),
    sessionLockRenewalBufferMs: num(
      o.sessionLockRenewalBufferMs,
      'sessionLockRenewalBufferMs',
      d.sessionLockRenewalBufferMs,
      MS,
    ),
    sessionIdleTimeoutMs: num(
      o.sessionIdleTimeoutMs,
      'sessionIdleTimeoutMs',
      d.sessionIdleTimeoutMs,
      POSITIVE_MS,
    ),
    sessionCleanupIntervalMs: num(
      o.sessionCleanupIntervalMs,
      'sessionCleanupIntervalMs',
      d.sessionCleanupIntervalMs,
      POSITIVE_MS,
    ),
    maxSessionsPerRuntime: num(
      o.maxSessionsPerRuntime,
      'maxSessionsPerRuntime',
      d.maxSessionsPerRuntime,
      COUNT,
    ),
    workerNodeId: resolveNodeId(o.workerNodeId),
    workerTagFilter:
      o.workerTagFilter === undefined
        ? 'defaultOnly'
        : validateTagFilter(o.workerTagFilter, 'workerTagFilter'),
    duroxideVersion,
    instanceCacheSize: num(o.instanceCacheSize, 'instanceCacheSize', d.instanceCacheSize, COUNT),
    observability: resolveObservability(o.observability),
  };
  checkSessionIdleTimeout(resolved);
  return resolved;
}

function resolveClock(value: Clock | undefined): Clock {
  if (value === undefined) return systemClock;
  if (typeof value !== 'object' || value === null || typeof value.now !== 'function') {
    throw new ConfigurationError(`clock: expected an object with now(): number, got ${describe(value)}`);
  }
  return value;
}

function resolveBackoff(
  value: UnregisteredBackoffOptions | undefined,
): ResolvedRuntimeOptions['unregisteredBackoff'] {
  const d = DEFAULT_RUNTIME_OPTIONS;
  if (value === undefined)
    return { baseDelayMs: d.unregisteredBackoffBaseDelayMs, maxDelayMs: d.unregisteredBackoffMaxDelayMs };
  if (typeof value !== 'object' || value === null) {
    throw new ConfigurationError(
      `unregisteredBackoff: expected { baseDelayMs, maxDelayMs }, got ${describe(value)}`,
    );
  }
  rejectUnknown(value, new Set(['baseDelayMs', 'maxDelayMs']), 'unregisteredBackoff.');
  const baseDelayMs = num(
    value.baseDelayMs,
    'unregisteredBackoff.baseDelayMs',
    d.unregisteredBackoffBaseDelayMs,
    MS,
  );
  const maxDelayMs = num(
    value.maxDelayMs,
    'unregisteredBackoff.maxDelayMs',
    Math.max(baseDelayMs, d.unregisteredBackoffMaxDelayMs),
    MS,
  );
  if (maxDelayMs < baseDelayMs) {
    throw new ConfigurationError(
      `unregisteredBackoff.maxDelayMs: must be >= unregisteredBackoff.baseDelayMs (${baseDelayMs}), got ${maxDelayMs}`,
    );
  }
  return { baseDelayMs, maxDelayMs };
}

function resolveDuroxideVersion(value: string | undefined): string {
  if (value === undefined) return DUROXIDE_VERSION;
  if (typeof value !== 'string' || tryParseSemver(value) === null) {
    throw new ConfigurationError(`duroxideVersion: expected a semantic version, got ${describe(value)}`);
  }
  return value;
}

function resolveReplayVersions(value: SemverRange[] | null | undefined, own: string): SemverRange[] {
  if (value === undefined || value === null) return [{ min: '0.0.0', max: own }];
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigurationError(
      'supportedReplayVersions: expected a non-empty array of { min, max } ranges',
    );
  }
  return value.map((range, i) => {
    const at = `supportedReplayVersions[${i}]`;
    if (typeof range !== 'object' || range === null)
      throw new ConfigurationError(`${at}: expected { min, max }`);
    const min = typeof range.min === 'string' ? tryParseSemver(range.min) : null;
    const max = typeof range.max === 'string' ? tryParseSemver(range.max) : null;
    if (!min) throw new ConfigurationError(`${at}.min: '${String(range.min)}' is not a semantic version`);
    if (!max) throw new ConfigurationError(`${at}.max: '${String(range.max)}' is not a semantic version`);
    if (compareSemver(min, max) > 0) {
      throw new ConfigurationError(`${at}: min ${range.min} is above max ${range.max}`);
    }
    return { min: range.min, max: range.max };
  });
}

function resolveNodeId(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new ConfigurationError(`workerNodeId: expected a non-empty string, got ${describe(value)}`);
  }
  return value;
}

function resolveObservability(
  value: ObservabilityOptions | undefined,
): ResolvedRuntimeOptions['observability'] {
  const v = value ?? {};
  if (typeof v !== 'object' || v === null) {
    throw new ConfigurationError(`observability: expected an object, got ${describe(v)}`);
  }
  rejectUnknown(v, KNOWN_OBSERVABILITY, 'observability.');
  const logger = v.logger ?? consoleLogger;
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    if (typeof (logger as unknown as Record<string, unknown>)[level] !== 'function') {
      throw new ConfigurationError(`observability.logger: missing method ${level}()`);
    }
  }
  for (const key of ['logLevel', 'traceLevel'] as const) {
    if (v[key] !== undefined && !isLogThreshold(v[key])) {
      throw new ConfigurationError(
        `observability.${key}: expected 'debug', 'info', 'warn', 'error' or 'off', got ${describe(v[key])}`,
      );
    }
  }
  const sink = v.metricsSink ?? null;
  if (sink !== null && (typeof sink.counter !== 'function' || typeof sink.histogram !== 'function')) {
    throw new ConfigurationError('observability.metricsSink: expected { counter(), histogram() }');
  }
  if (v.loggerStyle !== undefined && v.loggerStyle !== 'console' && v.loggerStyle !== 'pino') {
    throw new ConfigurationError(
      `observability.loggerStyle: expected 'console' or 'pino', got ${describe(v.loggerStyle)}`,
    );
  }
  const meterProvider = v.meterProvider ?? null;
  if (meterProvider !== null && typeof meterProvider.getMeter !== 'function') {
    throw new ConfigurationError('observability.meterProvider: expected a MeterProvider with getMeter()');
  }
  const tracerProvider = v.tracerProvider ?? null;
  if (tracerProvider !== null && typeof tracerProvider.getTracer !== 'function') {
    throw new ConfigurationError('observability.tracerProvider: expected a TracerProvider with getTracer()');
  }
  return {
    logger,
    loggerStyle: v.loggerStyle ?? detectLoggerStyle(logger),
    meterProvider,
    tracerProvider,
    gaugePollIntervalMs: num(
      v.gaugePollIntervalMs,
      'observability.gaugePollIntervalMs',
      DEFAULT_RUNTIME_OPTIONS.gaugePollIntervalMs,
      POSITIVE_MS,
    ),
    logLevel: v.logLevel ?? 'warn',
    traceLevel: v.traceLevel ?? 'info',
    metricsSink: sink,
    serviceName: v.serviceName ?? 'duroxide',
    serviceVersion: v.serviceVersion ?? null,
  };
}

/** duroxide's startup check (§5.1 step 1): sessions must outlive the activity-lock renewal window. */
function checkSessionIdleTimeout(o: ResolvedRuntimeOptions): void {
  const diff = o.workerLockTimeoutMs - o.workerLockRenewalBufferMs;
  const window = diff > 0 ? diff : 1_000;
  if (!(o.sessionIdleTimeoutMs > window)) {
    throw new ConfigurationError(
      `sessionIdleTimeoutMs: must be greater than workerLockTimeoutMs - workerLockRenewalBufferMs (${window} ms), ` +
        `got ${o.sessionIdleTimeoutMs}; otherwise a session could go idle while its activity is still running`,
    );
  }
}
