import {
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
} from '@opentelemetry/api';
import { DUROXIDE_VERSION } from '../version.js';
import { type GaugeReadings, METRIC_NAMES, type MetricLabels, type MetricsSink } from './metrics.js';

/** The instrumentation scope name of every duroxide instrument. */
export const METER_NAME = '@duroxide/core';

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const COUNTS = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1_000];
const EVENTS = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

/** Description, unit and bucket advice of the histograms (OpenTelemetry defaults suit milliseconds). */
const HISTOGRAMS: Record<string, { description: string; unit: string; buckets: number[] }> = {
  [METRIC_NAMES.orchestrationDuration]: {
    description: 'Execution duration from OrchestrationStarted to its terminal turn',
    unit: 's',
    buckets: SECONDS,
  },
  [METRIC_NAMES.orchestrationTurnDuration]: {
    description: 'Processing time of one orchestration turn (replay, user code and ack)',
    unit: 's',
    buckets: SECONDS,
  },
  [METRIC_NAMES.orchestrationTurns]: {
    description: 'Turns an execution took, recorded at its terminal turn',
    unit: '{turn}',
    buckets: COUNTS,
  },
  [METRIC_NAMES.orchestrationHistorySize]: {
    description: 'Events in an execution at its terminal turn',
    unit: '{event}',
    buckets: EVENTS,
  },
  [METRIC_NAMES.activityDuration]: {
    description: 'Activity handler duration',
    unit: 's',
    buckets: SECONDS,
  },
  [METRIC_NAMES.providerOperationDuration]: {
    description: 'Duration of provider calls made by the runtime',
    unit: 's',
    buckets: SECONDS,
  },
};

/**
 * The meter a runtime records into: `provider` when given, else the global MeterProvider; null when that
 * is the API's no-op provider (nothing is registered), so the runtime skips metric work entirely.
 */
export function resolveMeter(provider: MeterProvider | null): Meter | null {
  const meter = (provider ?? metrics.getMeterProvider()).getMeter(METER_NAME, DUROXIDE_VERSION);
  return meter === createNoopMeter() ? null : meter;
}

/** A `MetricsSink` over an OpenTelemetry `Meter`: instruments are created on first use, by duroxide name. */
export class OtelMetricsSink implements MetricsSink {
  private readonly counters = new Map<string, Counter>();
  private readonly histograms = new Map<string, Histogram>();

  constructor(private readonly meter: Meter) {}

  /** Adds `value` to the counter `name`. */
  counter(name: string, value: number, labels: MetricLabels): void {
    let counter = this.counters.get(name);
    if (counter === undefined) {
      counter = this.meter.createCounter(name);
      this.counters.set(name, counter);
    }
    counter.add(value, labels);
  }

  /** Records one sample of the histogram `name`. */
  histogram(name: string, value: number, labels: MetricLabels): void {
    let histogram = this.histograms.get(name);
    if (histogram === undefined) {
      const spec = HISTOGRAMS[name];
      histogram = this.meter.createHistogram(
        name,
        spec && {
          description: spec.description,
          unit: spec.unit,
          advice: { explicitBucketBoundaries: spec.buckets },
        },
      );
      this.histograms.set(name, histogram);
    }
    histogram.record(value, labels);
  }

  /**
   * Registers the three gauges, observed from `read` (the poller's latest readings) at each collection;
   * returns a function that detaches the callbacks (at shutdown).
   */
  observeGauges(read: () => GaugeReadings): () => void {
    const detach: (() => void)[] = [];
    const gauges: [string, string, keyof GaugeReadings][] = [
      [METRIC_NAMES.activeOrchestrations, 'Running instances in the store', 'activeOrchestrations'],
      [METRIC_NAMES.orchestratorQueueDepth, 'Unlocked orchestrator-queue messages', 'orchestratorQueueDepth'],
      [METRIC_NAMES.workerQueueDepth, 'Unlocked worker-queue rows', 'workerQueueDepth'],
    ];
    for (const [name, description, field] of gauges) {
      const gauge = this.meter.createObservableGauge(name, { description });
      const callback = (result: { observe(value: number): void }) => {
        const value = read()[field];
        // -1 means "not polled yet": report nothing rather than a fake zero.
        if (value >= 0) result.observe(value);
      };
      gauge.addCallback(callback);
      detach.push(() => gauge.removeCallback(callback));
    }
    return () => {
      for (const d of detach) d();
    };
  }
}
