import { METRIC_NAMES, type MetricLabels, type MetricsSink } from '@duroxide/core';
import { expect } from 'vitest';
import { scenarioIt, waitUntil } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** One recorded metric sample. */
interface Sample {
  kind: 'counter' | 'histogram';
  name: string;
  value: number;
  labels: MetricLabels;
}

/** A metrics sink that keeps every sample. */
function recordingSink(): MetricsSink & { samples: Sample[]; find(name: string): Sample[] } {
  const samples: Sample[] = [];
  return {
    samples,
    counter: (name, value, labels) => samples.push({ kind: 'counter', name, value, labels }),
    histogram: (name, value, labels) => samples.push({ kind: 'histogram', name, value, labels }),
    find: (name) => samples.filter((x) => x.name === name),
  };
}

/** A logger that keeps every line. */
function recordingLogger() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, fields: fields ?? {} });
  };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** Checklist 80: labelled metrics, gauges, provider metrics, traces with correlation fields. */
export function observabilityScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[80] labelled metrics for starts, completions, failures, continue-as-new, activities and provider calls', async (s) => {
    const sink = recordingSink();
    const rt = await s.startRuntime(
      (r) => {
        r.registerActivity('Ok', async () => 'ok');
        r.registerActivity('Bad', async () => {
          throw new Error('nope');
        });
        r.registerOrchestration('Metered', async (ctx, gen: number) => {
          await ctx.scheduleActivity('Ok').withTag('fast');
          try {
            await ctx.scheduleActivity('Bad');
          } catch {
            // handled: an application error of the activity, not of the orchestration
          }
          if (gen === 1) return ctx.continueAsNew(2);
          return 'done';
        });
        r.registerOrchestration('Broken', async () => {
          throw new Error('broken');
        });
      },
      { workerTagFilter: { defaultAnd: ['fast'] }, observability: { metricsSink: sink, logLevel: 'off' } },
    );
    const id = s.id('metered');
    expect((await s.run(id, 'Metered', 1)).output).toBe('done');
    expect((await s.run(s.id('broken'), 'Broken')).status).toBe('Failed');
    // A turn's metrics are recorded right after its ack, so the client can see the end a moment earlier.
    await waitUntil(() => {
      const m = rt.metricsSnapshot();
      return m.orchCompletions + m.orchContinueAsNew + m.orchFailures >= 3 ? true : undefined;
    }, 'the three terminal turns to be recorded');

    const starts = sink.find(METRIC_NAMES.orchestrationStarts).map((x) => x.labels.initiated_by);
    expect(starts.sort()).toEqual(['client', 'client', 'continueAsNew']);
    const completions = sink.find(METRIC_NAMES.orchestrationCompletions).map((x) => x.labels.status);
    expect(completions.sort()).toEqual(['continuedAsNew', 'failed', 'success']);
    expect(sink.find(METRIC_NAMES.orchestrationFailures)[0]?.labels).toMatchObject({
      orchestration_name: 'Broken',
      error_type: 'app_error',
      error_category: 'application',
    });
    expect(sink.find(METRIC_NAMES.orchestrationContinueAsNew)[0]?.labels).toEqual({
      orchestration_name: 'Metered',
      execution_id: '1',
    });
    const activities = sink
      .find(METRIC_NAMES.activityExecutions)
      .map((x) => `${x.labels.activity_name}/${x.labels.outcome}/${x.labels.tag}`);
    expect(activities.sort()).toEqual([
      'Bad/app_error/default',
      'Bad/app_error/default',
      'Ok/success/fast',
      'Ok/success/fast',
    ]);
    // Real turn counts: each Metered execution took 3 turns (start, Ok, Bad).
    const turns = sink
      .find(METRIC_NAMES.orchestrationTurns)
      .filter((x) => x.labels.orchestration_name === 'Metered');
    expect(turns.map((x) => x.value)).toEqual([3, 3]);
    expect(
      sink.find(METRIC_NAMES.providerOperationDuration).some((x) => x.labels.operation === 'ackWorkItem'),
    ).toBe(true);
    expect(rt.metricsSnapshot()).toMatchObject({
      orchStarts: 3,
      orchCompletions: 1,
      orchContinueAsNew: 1,
      orchFailures: 1,
      activitySuccess: 2,
      activityAppErrors: 2,
    });
  });

  test('[80] gauges are initialised at start and refreshed by the poller', async (s) => {
    const seed = await s.startRuntime((r) =>
      r.registerOrchestration('Idle', async (ctx) => ctx.waitForEvent('x')),
    );
    const ids = [s.id('idle'), s.id('idle')];
    for (const id of ids) await s.client.startOrchestration(id, 'Idle');
    for (const id of ids) await s.waitForSubscription(id, 'x');
    await s.stopRuntime(seed);
    const rt = await s.startRuntime(
      (r) => r.registerOrchestration('Idle', async (ctx) => ctx.waitForEvent('x')),
      {
        observability: { gaugePollIntervalMs: 20, logLevel: 'off' },
      },
    );
    expect(rt.metricsSnapshot()).toMatchObject({ activeOrchestrations: 2, orchestratorQueueDepth: 0 });
    await s.client.raiseEvent(ids[0]!, 'x');
    await s.completed(ids[0]!);
    await waitUntil(() => (rt.metricsSnapshot().activeOrchestrations === 1 ? true : undefined), 'the poller');
  });

  test('[80] activity traces at every level and orchestration traces once, with correlation fields', async (s) => {
    const log = recordingLogger();
    await s.startRuntime(
      (r) => {
        r.registerActivity('Chatty', async (ctx) => {
          ctx.traceDebug('d');
          ctx.traceInfo('i');
          ctx.traceWarn('w');
          ctx.traceError('e');
          return 1;
        });
        r.registerOrchestration('Traced', async (ctx) => {
          ctx.traceInfo('before');
          await ctx.scheduleActivity('Chatty');
          await ctx.scheduleActivity('Chatty');
          ctx.traceWarn('after');
          return 'ok';
        });
      },
      { observability: { logger: log.logger, logLevel: 'off', traceLevel: 'debug' } },
    );
    const id = s.id('traced');
    expect((await s.run(id, 'Traced')).output).toBe('ok');
    const orch = log.lines.filter((l) => l.fields.target === 'duroxide::orchestration');
    expect(orch.map((l) => `${l.level}:${l.message}`)).toEqual(['info:before', 'warn:after']);
    expect(orch[0]?.fields).toMatchObject({ instanceId: id, executionId: 1, orchestrationName: 'Traced' });
    const act = log.lines.filter((l) => l.fields.target === 'duroxide::activity');
    expect(act.map((l) => l.level)).toEqual([
      'debug',
      'info',
      'warn',
      'error',
      'debug',
      'info',
      'warn',
      'error',
    ]);
    expect(act[0]?.fields).toMatchObject({
      instanceId: id,
      orchestrationName: 'Traced',
      activityName: 'Chatty',
      workerId: expect.stringMatching(/^work-/),
    });
  });
}
