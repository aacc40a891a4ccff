import {
  type ActivityCompletedItem,
  type Event,
  METRIC_NAMES,
  type OrchestrationAck,
  type ProviderAdmin,
  Runtime,
  SPAN_ATTRIBUTES,
  SPAN_NAMES,
} from '@duroxide/core';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeProvider, orchestrationItem, silentLogger, until } from '../runtime/fakes.js';

/** An OpenTelemetry SDK pipeline whose exporters keep everything in memory. */
function otelPipeline() {
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long export interval: the test exports explicitly with forceFlush.
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  return {
    meterProvider,
    tracerProvider,
    spanExporter,
    /** Collects now and returns every metric by name. */
    async collect(): Promise<Map<string, MetricData>> {
      metricExporter.reset();
      await reader.forceFlush();
      const byName = new Map<string, MetricData>();
      for (const rm of metricExporter.getMetrics()) {
        for (const scope of rm.scopeMetrics) for (const m of scope.metrics) byName.set(m.descriptor.name, m);
      }
      return byName;
    },
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

/** The admin half of the fake provider: store-wide figures the gauge poller reads. */
function fakeAdmin(figures: { running: number; orch: number; work: number }): ProviderAdmin {
  return {
    getSystemMetrics: async () => ({
      totalInstances: figures.running,
      totalExecutions: figures.running,
      runningInstances: figures.running,
      completedInstances: 0,
      failedInstances: 0,
      totalEvents: 0,
    }),
    getQueueDepths: async () => ({
      orchestratorQueue: figures.orch,
      workerQueue: figures.work,
      timerQueue: 0,
    }),
  } as unknown as ProviderAdmin;
}

function points(metric: MetricData | undefined) {
  if (metric === undefined) throw new Error('metric not recorded');
  return metric.dataPoints as { attributes: Record<string, unknown>; value: unknown }[];
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/**
 * Drives one orchestration through a real replay engine over the scripted provider: start turn, the
 * activity, then the completion turn. Returns the two acks.
 */
async function runHelloFlow(options: ConstructorParameters<typeof Runtime>[1]) {
  const fake = fakeProvider();
  const figures = { running: 3, orch: 5, work: 7 };
  fake.provider.asManagementCapability.mockReturnValue(fakeAdmin(figures));
  const rt = new Runtime(fake.provider, {
    orchestrationConcurrency: 1,
    workerConcurrency: 1,
    dispatcherMinPollIntervalMs: 1,
    ...options,
  });
  rt.registerActivity('Greet', async (_ctx, name: string) => `Hello, ${name}!`);
  rt.registerOrchestration('Flow', async (ctx, name: string) => {
    ctx.traceInfo('greeting');
    const greeting = await ctx.scheduleActivity<string>('Greet', name);
    ctx.traceInfo('greeted');
    return greeting;
  });
  await rt.start();
  cleanup.push(() => rt.shutdown(1_000));
  const acks = () => fake.provider.ackOrchestrationItem.mock.calls.map((c) => c[1] as OrchestrationAck);

  fake.pushOrchestration({ item: orchestrationItem('i-1'), lockToken: 't1', attemptCount: 1 });
  await until(() => acks().length === 1);
  const first = acks()[0]!;
  fake.setHistory('i-1', 1, first.historyDelta);
  const scheduled = first.workerItems[0]!;
  fake.pushWork({ item: scheduled, lockToken: 'w1', attemptCount: 1 });
  await until(() => fake.provider.ackWorkItem.mock.calls.length === 1);
  const completion = fake.provider.ackWorkItem.mock.calls[0]![1] as ActivityCompletedItem;
  const history: Event[] = first.historyDelta;
  // The second turn comes a few milliseconds later, so the start-to-end duration is visibly positive.
  await new Promise((r) => setTimeout(r, 15));
  fake.pushOrchestration({
    item: orchestrationItem('i-1', { history, messages: [completion], version: '1.0.0' }),
    lockToken: 't2',
    attemptCount: 1,
  });
  await until(() => acks().length === 2);
  return { rt, fake, figures, acks: acks() };
}

describe('OpenTelemetry metrics and spans (SDK in-memory exporters)', () => {
  it("records duroxide's metric set with its labels, real turn counts and start-to-end durations", async () => {
    const otel = otelPipeline();
    cleanup.push(() => otel.shutdown());
    const log = silentLogger();
    const { acks } = await runHelloFlow({
      observability: { meterProvider: otel.meterProvider, logger: log.logger, logLevel: 'off' },
    });
    expect(acks[1]!.metadata.status).toBe('Completed');
    const m = await otel.collect();

    // Fix of duroxide's quirk: one start per execution, not one per turn.
    expect(points(m.get(METRIC_NAMES.orchestrationStarts)).map((p) => [p.attributes, p.value])).toEqual([
      [{ orchestration_name: 'Flow', version: '1.0.0', initiated_by: 'client' }, 1],
    ]);
    const completions = points(m.get(METRIC_NAMES.orchestrationCompletions));
    expect(completions.map((p) => [p.attributes, p.value])).toEqual([
      [{ orchestration_name: 'Flow', version: '1.0.0', status: 'success', final_turn_count: '1-5' }, 1],
    ]);
    // Fix of duroxide's quirk: the turn histogram sees the real number of turns (2), not always 1.
    const turns = m.get(METRIC_NAMES.orchestrationTurns)!;
    expect(turns.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(points(turns)[0]!.value).toMatchObject({ count: 1, sum: 2 });
    // Fix of duroxide's quirk: the duration spans OrchestrationStarted to the terminal turn (>= 15 ms wait).
    const duration = points(m.get(METRIC_NAMES.orchestrationDuration))[0]!;
    expect(duration.attributes).toEqual({ orchestration_name: 'Flow', version: '1.0.0', status: 'success' });
    expect((duration.value as { sum: number }).sum).toBeGreaterThanOrEqual(0.014);
    expect(points(m.get(METRIC_NAMES.orchestrationHistorySize))[0]!.value).toMatchObject({ sum: 4 });
    expect(points(m.get(METRIC_NAMES.orchestrationTurnDuration))[0]!.value).toMatchObject({ count: 2 });

    const executions = points(m.get(METRIC_NAMES.activityExecutions));
    expect(executions.map((p) => [p.attributes, p.value])).toEqual([
      [{ activity_name: 'Greet', outcome: 'success', retry_attempt: '0', tag: 'default' }, 1],
    ]);
    expect(points(m.get(METRIC_NAMES.activityDuration))[0]!.attributes).toEqual({
      activity_name: 'Greet',
      outcome: 'success',
      tag: 'default',
    });
    const providerOps = points(m.get(METRIC_NAMES.providerOperationDuration)).map((p) => p.attributes);
    expect(providerOps).toContainEqual({ operation: 'ackOrchestrationItem', status: 'success' });
    expect(providerOps).toContainEqual({ operation: 'ackWorkItem', status: 'success' });
  });

  it('initialises the gauges from the provider at start and refreshes them with the poller', async () => {
    const otel = otelPipeline();
    cleanup.push(() => otel.shutdown());
    const { rt, figures } = await runHelloFlow({
      observability: { meterProvider: otel.meterProvider, gaugePollIntervalMs: 10, logLevel: 'off' },
    });
    let m = await otel.collect();
    expect(points(m.get(METRIC_NAMES.activeOrchestrations))[0]!.value).toBe(3);
    expect(points(m.get(METRIC_NAMES.orchestratorQueueDepth))[0]!.value).toBe(5);
    expect(points(m.get(METRIC_NAMES.workerQueueDepth))[0]!.value).toBe(7);
    figures.running = 1;
    figures.orch = 0;
    figures.work = 2;
    await until(() => rt.metricsSnapshot().workerQueueDepth === 2);
    m = await otel.collect();
    expect(points(m.get(METRIC_NAMES.activeOrchestrations))[0]!.value).toBe(1);
    expect(points(m.get(METRIC_NAMES.orchestratorQueueDepth))[0]!.value).toBe(0);
    expect(rt.metricsSnapshot()).toMatchObject({ activeOrchestrations: 1, orchestratorQueueDepth: 0 });
  });

  it('emits a span per turn and per activity, linked by the instance id attribute', async () => {
    const otel = otelPipeline();
    cleanup.push(() => otel.shutdown());
    await runHelloFlow({ observability: { tracerProvider: otel.tracerProvider, logLevel: 'off' } });
    const spans = otel.spanExporter.getFinishedSpans();
    const turns = spans.filter((s) => s.name === SPAN_NAMES.orchestrationTurn);
    const activities = spans.filter((s) => s.name === SPAN_NAMES.activity);
    expect(turns.map((s) => s.attributes[SPAN_ATTRIBUTES.outcome])).toEqual(['continue', 'completed']);
    expect(activities).toHaveLength(1);
    for (const span of [...turns, ...activities]) {
      expect(span.attributes[SPAN_ATTRIBUTES.instanceId]).toBe('i-1');
      expect(span.attributes[SPAN_ATTRIBUTES.executionId]).toBe(1);
      expect(span.attributes[SPAN_ATTRIBUTES.orchestrationName]).toBe('Flow');
    }
    expect(activities[0]!.attributes).toMatchObject({
      [SPAN_ATTRIBUTES.activityName]: 'Greet',
      [SPAN_ATTRIBUTES.activityTag]: 'default',
      [SPAN_ATTRIBUTES.outcome]: 'success',
    });
    expect(turns[1]!.attributes[SPAN_ATTRIBUTES.historySize]).toBe(4);
  });

  it('without a MeterProvider the snapshot still counts and the gauges are still polled', async () => {
    const { rt, fake } = await runHelloFlow({ observability: { logLevel: 'off', traceLevel: 'off' } });
    expect(rt.metricsSnapshot()).toMatchObject({ orchStarts: 1, orchCompletions: 1, activitySuccess: 1 });
    // The provider was not wrapped: the dispatchers called the spies directly.
    expect(fake.provider.fetchOrchestrationItem).toHaveBeenCalled();
    expect(rt.metricsSnapshot().activeOrchestrations).toBe(3);
  });
});

describe('structured logs', () => {
  it('orchestration traces are emitted once (silent during replay) with correlation fields', async () => {
    const log = silentLogger();
    await runHelloFlow({ observability: { logger: log.logger, logLevel: 'off', traceLevel: 'info' } });
    const traces = log.lines.filter((l) => l.fields?.target === 'duroxide::orchestration');
    expect(traces.map((l) => l.message)).toEqual(['greeting', 'greeted']);
    expect(traces[0]!.fields).toMatchObject({
      instanceId: 'i-1',
      executionId: 1,
      orchestrationName: 'Flow',
      orchestrationVersion: '1.0.0',
    });
  });

  it('pino-style loggers receive (fields, message), detected or chosen with loggerStyle', async () => {
    const calls: unknown[][] = [];
    const record = (...args: unknown[]) => calls.push(args);
    const pinoLike = {
      levels: { values: { debug: 20, info: 30, warn: 40, error: 50 } },
      child: () => pinoLike,
      debug: record,
      info: record,
      warn: record,
      error: record,
    };
    await runHelloFlow({ observability: { logger: pinoLike, logLevel: 'debug', traceLevel: 'off' } });
    const started = calls.find((c) => c[1] === 'Activity started');
    expect(started?.[0]).toMatchObject({
      target: 'duroxide::runtime::dispatchers::worker',
      instanceId: 'i-1',
      executionId: 1,
      activityName: 'Greet',
      activityId: 2,
      workerId: expect.stringMatching(/^work-0-/),
    });

    const plain: unknown[][] = [];
    const fn = (...args: unknown[]) => plain.push(args);
    const forced = { debug: fn, info: fn, warn: fn, error: fn };
    await runHelloFlow({
      observability: { logger: forced, loggerStyle: 'pino', logLevel: 'debug', traceLevel: 'off' },
    });
    expect(plain.some((c) => c[1] === 'Activity completed' && typeof c[0] === 'object')).toBe(true);
  });
});
