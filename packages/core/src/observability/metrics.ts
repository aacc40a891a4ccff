/** Metric names as duroxide emits them (reference §8.1), so dashboards carry over. */
export const METRIC_NAMES = {
  orchestrationStarts: 'duroxide_orchestration_starts_total',
  orchestrationCompletions: 'duroxide_orchestration_completions_total',
  orchestrationDuration: 'duroxide_orchestration_duration_seconds',
  orchestrationTurns: 'duroxide_orchestration_turns',
  orchestrationHistorySize: 'duroxide_orchestration_history_size',
  orchestrationFailures: 'duroxide_orchestration_failures_total',
  orchestrationInfrastructureErrors: 'duroxide_orchestration_infrastructure_errors_total',
  orchestrationConfigurationErrors: 'duroxide_orchestration_configuration_errors_total',
  orchestrationContinueAsNew: 'duroxide_orchestration_continue_as_new_total',
  orchestrationPoison: 'duroxide_orchestration_poison_total',
  activityPoison: 'duroxide_activity_poison_total',
  activityExecutions: 'duroxide_activity_executions_total',
  activityDuration: 'duroxide_activity_duration_seconds',
  activityInfrastructureErrors: 'duroxide_activity_infrastructure_errors_total',
  activityConfigurationErrors: 'duroxide_activity_configuration_errors_total',
  providerOperationDuration: 'duroxide_provider_operation_duration_seconds',
  providerErrors: 'duroxide_provider_errors_total',
  activeOrchestrations: 'duroxide_active_orchestrations',
  orchestratorQueueDepth: 'duroxide_orchestrator_queue_depth',
  workerQueueDepth: 'duroxide_worker_queue_depth',
  orchestrationTurnDuration: 'duroxide_orchestration_turn_duration_seconds',
} as const;

/** Metric attribute values. */
export type MetricLabels = Record<string, string>;

/** Where metrics go (an OpenTelemetry meter through `OtelMetricsSink`, or any custom sink). */
export interface MetricsSink {
  /** Adds `value` to a counter. */
  counter(name: string, value: number, labels: MetricLabels): void;
  /** Records one histogram sample. */
  histogram(name: string, value: number, labels: MetricLabels): void;
}

/** Counters a test or dashboard can read at any time through `runtime.metricsSnapshot()`. */
export interface MetricsSnapshot {
  /** New executions started (client start, sub-orchestration, detached start or continue-as-new). */
  orchStarts: number;
  /** Executions that completed successfully. */
  orchCompletions: number;
  /** Executions that failed, any category (cancellation counts as an application failure). */
  orchFailures: number;
  /** Failures with an application error (including cancellation). */
  orchApplicationErrors: number;
  /** Failures with an infrastructure error. */
  orchInfrastructureErrors: number;
  /** Failures with a configuration error (nondeterminism). */
  orchConfigurationErrors: number;
  /** Executions failed as poison. */
  orchPoison: number;
  /** Executions that continued as new. */
  orchContinueAsNew: number;
  /** Activities that returned a result. */
  activitySuccess: number;
  /** Activities that threw. */
  activityAppErrors: number;
  /** Activities whose outcome could not be committed (ack failed). */
  activityInfraErrors: number;
  /** Activities with no registered handler (abandoned with backoff). */
  activityConfigErrors: number;
  /** Activities failed as poison. */
  activityPoison: number;
  /** Activities cancelled while running (result dropped). */
  activityCancelled: number;
  /** Orchestration batches fetched. */
  orchDispatcherItemsFetched: number;
  /** Activities fetched. */
  workerDispatcherItemsFetched: number;
  /** Provider calls that failed. */
  providerErrors: number;
  /** Gauge: running instances in the store at the last poll (-1 before the first poll). */
  activeOrchestrations: number;
  /** Gauge: unlocked orchestrator messages at the last poll (-1 before the first poll). */
  orchestratorQueueDepth: number;
  /** Gauge: unlocked activity rows at the last poll (-1 before the first poll). */
  workerQueueDepth: number;
}

/** The values the gauge poller reads from the provider. */
export type GaugeReadings = Pick<
  MetricsSnapshot,
  'activeOrchestrations' | 'orchestratorQueueDepth' | 'workerQueueDepth'
>;

/** Creates an all-zero snapshot. */
export function emptyMetricsSnapshot(): MetricsSnapshot {
  return {
    orchStarts: 0,
    orchCompletions: 0,
    orchFailures: 0,
    orchApplicationErrors: 0,
    orchInfrastructureErrors: 0,
    orchConfigurationErrors: 0,
    orchPoison: 0,
    orchContinueAsNew: 0,
    activitySuccess: 0,
    activityAppErrors: 0,
    activityInfraErrors: 0,
    activityConfigErrors: 0,
    activityPoison: 0,
    activityCancelled: 0,
    orchDispatcherItemsFetched: 0,
    workerDispatcherItemsFetched: 0,
    providerErrors: 0,
    activeOrchestrations: -1,
    orchestratorQueueDepth: -1,
    workerQueueDepth: -1,
  };
}

/**
 * The runtime's metrics facade: keeps the snapshot counters and forwards every named metric to an
 * optional sink. Sink failures are swallowed so metrics never break a dispatcher.
 */
export class RuntimeMetrics {
  private readonly counters = emptyMetricsSnapshot();
  private readonly sinks: MetricsSink[] = [];

  constructor(sink: MetricsSink | null = null) {
    if (sink !== null) this.sinks.push(sink);
  }

  /** Adds a sink (the OpenTelemetry adapter is added when the runtime starts). */
  addSink(sink: MetricsSink): void {
    this.sinks.push(sink);
  }

  /** Whether any sink receives named metrics (callers skip building labels otherwise). */
  get hasSinks(): boolean {
    return this.sinks.length > 0;
  }

  /** Bumps a snapshot counter. */
  bump(field: keyof MetricsSnapshot, by = 1): void {
    this.counters[field] += by;
  }

  /** Stores the latest gauge readings (shown in the snapshot and observed by OpenTelemetry gauges). */
  setGauges(readings: GaugeReadings): void {
    this.counters.activeOrchestrations = readings.activeOrchestrations;
    this.counters.orchestratorQueueDepth = readings.orchestratorQueueDepth;
    this.counters.workerQueueDepth = readings.workerQueueDepth;
  }

  /** The latest gauge readings. */
  gauges(): GaugeReadings {
    const c = this.counters;
    return {
      activeOrchestrations: c.activeOrchestrations,
      orchestratorQueueDepth: c.orchestratorQueueDepth,
      workerQueueDepth: c.workerQueueDepth,
    };
  }

  /** Adds to a named counter in every sink. */
  counter(name: string, labels: MetricLabels = {}, value = 1): void {
    for (const sink of this.sinks) {
      try {
        sink.counter(name, value, labels);
      } catch {
        // Metrics are best-effort.
      }
    }
  }

  /** Records a named histogram sample in every sink. */
  histogram(name: string, value: number, labels: MetricLabels = {}): void {
    for (const sink of this.sinks) {
      try {
        sink.histogram(name, value, labels);
      } catch {
        // Metrics are best-effort.
      }
    }
  }

  /** Records a failed provider call (snapshot plus the labelled counter). */
  providerError(operation: string, err: unknown): void {
    this.bump('providerErrors');
    this.counter(METRIC_NAMES.providerErrors, { operation, error_type: providerErrorType(err) });
  }

  /** A copy of the counters. */
  snapshot(): MetricsSnapshot {
    return { ...this.counters };
  }
}

/** duroxide's provider error classification by message substring. */
export function providerErrorType(err: unknown): 'deadlock' | 'timeout' | 'connection' | 'other' {
  const text = (err instanceof Error ? err.message : String(err)).toLowerCase();
  if (text.includes('deadlock')) return 'deadlock';
  if (text.includes('timeout') || text.includes('timed out')) return 'timeout';
  if (text.includes('connection')) return 'connection';
  return 'other';
}
