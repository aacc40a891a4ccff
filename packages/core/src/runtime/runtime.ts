import { randomBytes } from 'node:crypto';
import { Client } from '../client/client.js';
import {
  type ActivityDefinition,
  type ActivityHandler,
  decodeWith,
  type OrchestrationDefinition,
  type OrchestrationHandler,
} from '../definitions.js';
import { ConfigurationError } from '../errors.js';
import { type GaugePoller, startGaugePoller } from '../observability/gauge-poller.js';
import { instrumentProvider } from '../observability/instrumented-provider.js';
import { FilteredLogger } from '../observability/logger.js';
import { type MetricsSnapshot, RuntimeMetrics } from '../observability/metrics.js';
import { OtelMetricsSink, resolveMeter } from '../observability/otel-metrics.js';
import { RuntimeTracing } from '../observability/tracing.js';
import type { Provider } from '../provider/provider-contract.js';
import type { OrchestrationContext } from '../replay/context-api.js';
import type { TurnEngine } from '../replay/turn-types.js';
import { OrchestrationIdentityCache } from './identity-cache.js';
import { Lifecycle } from './lifecycle.js';
import { type ResolvedRuntimeOptions, type RuntimeOptions, resolveRuntimeOptions } from './options.js';
import { runOrchestrationSlot } from './orchestration-dispatcher.js';
import {
  ActivityRegistry,
  DEFAULT_ORCHESTRATION_VERSION,
  OrchestrationRegistry,
  type VersionPolicy,
} from './registry.js';
import { RunningActivities } from './running-activities.js';
import type { RuntimeServices } from './services.js';
import { SessionSlots, startSessionManager } from './sessions.js';
import { systemActivities } from './system-activities.js';
import { errorMessage } from './timing.js';
import { TurnCounts } from './turn-counts.js';
import { runWorkerSlot, sessionOwnerIds } from './worker-dispatcher.js';

const TARGET = 'duroxide::runtime';

/** How long `shutdown()` waits for in-flight turns and activities when no timeout is given. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5_000;

type State = 'created' | 'starting' | 'running' | 'stopped';

/**
 * Runs orchestrations and activities against a provider: per-runtime registries, an orchestration
 * dispatcher and a worker dispatcher with the configured concurrency, lock renewal, poison handling and
 * graceful shutdown.
 */
export class Runtime {
  /** The validated options with defaults applied. */
  readonly options: ResolvedRuntimeOptions;
  /** Four hex characters identifying this runtime in worker ids and logs. */
  readonly runtimeId: string;
  private readonly orchestrations = new OrchestrationRegistry();
  private readonly activities = new ActivityRegistry();
  private readonly metrics: RuntimeMetrics;
  private readonly logger: FilteredLogger;
  private readonly lifecycle = new Lifecycle();
  private state: State = 'created';
  private stopSessions: (() => void) | null = null;
  private gaugePoller: GaugePoller | null = null;
  private detachGauges: (() => void) | null = null;

  /**
   * Creates a runtime; invalid options throw a `ConfigurationError` naming the option. `engine` replaces
   * the replay engine (tests only).
   */
  constructor(
    private readonly provider: Provider,
    options: RuntimeOptions = {},
    private readonly engine?: TurnEngine,
  ) {
    if (
      typeof provider !== 'object' ||
      provider === null ||
      typeof provider.fetchOrchestrationItem !== 'function'
    ) {
      throw new ConfigurationError('provider: expected a Provider (e.g. await SqliteProvider.inMemory())');
    }
    this.options = resolveRuntimeOptions(options);
    const obs = this.options.observability;
    this.logger = new FilteredLogger(obs.logger, obs.logLevel, obs.traceLevel, obs.loggerStyle);
    this.metrics = new RuntimeMetrics(obs.metricsSink);
    this.runtimeId = randomBytes(2).toString('hex');
  }

  /** Registers an activity by name, or a typed handle from `defineActivity`. */
  registerActivity(nameOrDefinition: string | ActivityDefinition, handler?: ActivityHandler): this {
    this.assertNotStarted('registerActivity');
    if (typeof nameOrDefinition === 'object' && nameOrDefinition !== null) {
      const def = nameOrDefinition;
      const decode = def.decoders?.input;
      const what = `input of activity '${def.name}'`;
      const run = def.handler;
      this.activities.register(
        def.name,
        decode && typeof run === 'function' ? (ctx, input) => run(ctx, decodeWith(decode, input, what)) : run,
      );
    } else {
      this.activities.register(nameOrDefinition, handler as ActivityHandler);
    }
    return this;
  }

  /** Registers an orchestration at version `1.0.0` (or a typed handle at its own version). */
  registerOrchestration(
    nameOrDefinition: string | OrchestrationDefinition,
    handler?: OrchestrationHandler,
  ): this {
    this.assertNotStarted('registerOrchestration');
    if (typeof nameOrDefinition === 'object' && nameOrDefinition !== null) {
      const def = nameOrDefinition;
      const decode = def.decoders?.input;
      const what = `input of orchestration '${def.name}'`;
      const run = def.handler as (ctx: OrchestrationContext, input: unknown) => unknown;
      // The engine inspects the returned value (promise or generator), so the wrapper keeps either shape.
      const handler =
        decode && typeof run === 'function'
          ? (((ctx, input) => run(ctx, decodeWith(decode, input, what))) as OrchestrationHandler)
          : def.handler;
      this.orchestrations.register(def.name, def.version ?? DEFAULT_ORCHESTRATION_VERSION, handler);
    } else {
      this.orchestrations.register(
        nameOrDefinition,
        DEFAULT_ORCHESTRATION_VERSION,
        handler as OrchestrationHandler,
      );
    }
    return this;
  }

  /** Registers one semantic version of an orchestration. */
  registerOrchestrationVersioned(name: string, version: string, handler: OrchestrationHandler): this {
    this.assertNotStarted('registerOrchestrationVersioned');
    this.orchestrations.register(name, version, handler);
    return this;
  }

  /**
   * Sets how starts of `name` without an explicit version pick one (`'latest'` by default, or
   * `{ exact: '1.2.0' }`); allowed before and after `start()`, it applies to the next start, sub-orchestration
   * or continue-as-new that names no version. Running executions keep the version in their history.
   */
  setVersionPolicy(name: string, policy: VersionPolicy): this {
    this.orchestrations.setPolicy(name, policy);
    return this;
  }

  /** Registers typed handles from `defineActivity` / `defineOrchestration`. */
  register(...definitions: (ActivityDefinition | OrchestrationDefinition)[]): this {
    for (const def of definitions) {
      if (def?.type === 'activity') this.registerActivity(def);
      else if (def?.type === 'orchestration') this.registerOrchestration(def);
      else
        throw new ConfigurationError(
          'register: expected definitions from defineActivity or defineOrchestration',
        );
    }
    return this;
  }

  /** Starts the dispatchers; resolves once they run. Throws when called twice. */
  async start(): Promise<void> {
    if (this.state !== 'created') {
      throw new ConfigurationError(
        this.state === 'stopped'
          ? 'start(): the runtime was shut down; create a new Runtime'
          : 'start(): the runtime was already started',
      );
    }
    this.state = 'starting';
    for (const [name, handler] of systemActivities(this.provider, this.options.clock))
      this.activities.registerSystem(name, handler);
    const engine = this.engine ?? (await import('./engine.js')).defaultTurnEngine;
    const o = this.options;
    const meter = resolveMeter(o.observability.meterProvider);
    if (meter !== null) {
      const sink = new OtelMetricsSink(meter);
      this.metrics.addSink(sink);
      this.detachGauges = sink.observeGauges(() => this.metrics.gauges());
    }
    // Timing every storage call costs a little, so it is only done when someone receives the metrics.
    const provider = this.metrics.hasSinks ? instrumentProvider(this.provider, this.metrics) : this.provider;
    const services: RuntimeServices = {
      provider,
      options: o,
      engine,
      orchestrations: this.orchestrations,
      activities: this.activities,
      runtimeId: this.runtimeId,
      client: new Client(this.provider),
      sessions: new SessionSlots(o.maxSessionsPerRuntime),
      running: new RunningActivities(),
      lifecycle: this.lifecycle,
      metrics: this.metrics,
      logger: this.logger,
      minPollIntervalMs: o.dispatcherMinPollIntervalMs,
      tracing: new RuntimeTracing(o.observability.tracerProvider),
      turnCounts: new TurnCounts(),
    };
    this.gaugePoller = startGaugePoller(
      this.provider,
      this.metrics,
      this.logger,
      o.observability.gaugePollIntervalMs,
    );
    await this.gaugePoller.poll();
    this.logger.log('info', TARGET, `duroxide-ts runtime ${o.duroxideVersion} starting`, {
      runtimeId: this.runtimeId,
      provider: `${this.provider.name} ${this.provider.version}`,
      supportedReplayVersions: o.supportedReplayVersions,
      orchestrationConcurrency: o.orchestrationConcurrency,
      workerConcurrency: o.workerConcurrency,
    });
    const identities = new OrchestrationIdentityCache(this.provider);
    for (let i = 0; i < o.orchestrationConcurrency; i += 1)
      this.spawn(runOrchestrationSlot(services, i, identities));
    for (let i = 0; i < o.workerConcurrency; i += 1) this.spawn(runWorkerSlot(services, i, identities));
    if (o.workerConcurrency > 0 && o.maxSessionsPerRuntime > 0) {
      this.stopSessions = startSessionManager(
        provider,
        {
          ownerIds: sessionOwnerIds(services),
          lockTimeoutMs: o.sessionLockTimeoutMs,
          renewalBufferMs: o.sessionLockRenewalBufferMs,
          idleTimeoutMs: o.sessionIdleTimeoutMs,
          cleanupIntervalMs: o.sessionCleanupIntervalMs,
        },
        this.logger,
        this.metrics,
      );
    }
    this.state = 'running';
  }

  /**
   * Stops fetching and waits for in-flight turns and activities, returning as soon as they are done or
   * after `timeoutMs` (default 5 s). Past the deadline, running activities see their signal aborted and
   * are handed back without counting an attempt. Safe to call more than once.
   */
  async shutdown(timeoutMs: number = DEFAULT_SHUTDOWN_TIMEOUT_MS): Promise<void> {
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
      throw new ConfigurationError(`shutdown timeoutMs: expected a number >= 0, got ${String(timeoutMs)}`);
    }
    if (this.state === 'created') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopped';
    this.stopSessions?.();
    this.stopSessions = null;
    this.gaugePoller?.stop();
    this.gaugePoller = null;
    this.detachGauges?.();
    this.detachGauges = null;
    const finished = await this.lifecycle.drain(timeoutMs);
    if (!finished) {
      this.logger.log('warn', TARGET, 'shutdown deadline passed with work in flight', {
        inflight: this.lifecycle.inflightCount,
        timeoutMs,
      });
    }
  }

  /** A copy of the runtime's counters. */
  metricsSnapshot(): MetricsSnapshot {
    return this.metrics.snapshot();
  }

  /** Whether `start()` ran and `shutdown()` has not. */
  get isRunning(): boolean {
    return this.state === 'running';
  }

  private spawn(slot: Promise<void>): void {
    void this.lifecycle.trackSlot(slot).catch((err: unknown) => {
      // A slot loop catches everything itself; this is a last line of defence that keeps the process up.
      this.logger.log('error', TARGET, 'dispatcher slot stopped unexpectedly', { error: errorMessage(err) });
    });
  }

  private assertNotStarted(method: string): void {
    if (this.state !== 'created') {
      throw new ConfigurationError(`${method}: registrations must happen before start()`);
    }
  }
}
