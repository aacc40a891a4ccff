import { Client, Runtime } from '@duroxide/core';
import { percentile, pool, round, waitForCompleted } from '../lib/stats.mjs';

/** Client starts in flight at once: one connection-bound round trip each, so a serial loop measures latency. */
const START_CONCURRENCY = 32;

/**
 * Slot settings tried: the runtime defaults, then more slots. With a networked store a turn waits about
 * two round trips, so 4 orchestration slots cap W1 by latency (Redis: ~900/s) long before a core is busy.
 */
const SETTINGS = [
  { orchestrations: 4, workers: 8 },
  { orchestrations: 16, workers: 16 },
];

/** Hellos run (unmeasured) first so every measured run sees compiled code, as a long-lived service does. */
const WARMUP = { full: 500, quick: 100 };

/** One W1 run: `count` hello instances on a fresh store at one slot setting. */
async function runOnce(store, { orchestrations, workers }, count, label) {
  store.fresh?.();
  const provider = await store.open();
  const runtime = new Runtime(provider, {
    orchestrationConcurrency: orchestrations,
    workerConcurrency: workers,
  });
  runtime.registerActivity('Echo', async (_ctx, input) => input);
  runtime.registerOrchestration('Hello', async (ctx, input) => ctx.scheduleActivity('Echo', input));
  await runtime.start();
  const client = new Client(provider);
  const admin = provider.asManagementCapability();
  const startedAt = new Map();
  const t0 = performance.now();
  const wallStart = Date.now();
  await pool(count, START_CONCURRENCY, async (i) => {
    const id = `w1-${label}-${wallStart}-${i}`;
    startedAt.set(id, Date.now());
    await client.startOrchestration(id, 'Hello', i);
  });
  const startMs = performance.now() - t0;
  await waitForCompleted(admin, count, 600_000, 10);
  const totalMs = performance.now() - t0;
  await runtime.shutdown(10_000);
  const latencies = [];
  for (const [id, started] of startedAt) {
    const history = await provider.read(id);
    const done = history.find((e) => e.kind === 'OrchestrationCompleted');
    if (done) latencies.push(done.timestampMs - started);
  }
  await provider.close();
  return {
    orchestrationConcurrency: orchestrations,
    workerConcurrency: workers,
    orchestrationsPerSec: round((count / totalMs) * 1000),
    startPhaseMs: round(startMs),
    totalMs: round(totalMs),
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
  };
}

/** W1: N instances each calling one echo activity, started as fast as the client can. */
export async function run({ store, quick }) {
  const count = quick ? 300 : 2000;
  await runOnce(store, SETTINGS[0], quick ? WARMUP.quick : WARMUP.full, 'warmup');
  const runs = [];
  for (const s of SETTINGS) runs.push(await runOnce(store, s, count, `${s.orchestrations}x${s.workers}`));
  const [defaults] = runs;
  const best = runs.reduce((a, b) => (b.orchestrationsPerSec > a.orchestrationsPerSec ? b : a));
  return {
    workload: 'W1',
    settings: {
      instances: count,
      warmupInstances: quick ? WARMUP.quick : WARMUP.full,
      tried: SETTINGS,
      clientStartConcurrency: START_CONCURRENCY,
    },
    figures: {
      orchestrationsPerSec: defaults.orchestrationsPerSec,
      latencyP50Ms: defaults.latencyP50Ms,
      latencyP99Ms: defaults.latencyP99Ms,
      bestOrchestrationsPerSec: best.orchestrationsPerSec,
      bestSetting: `${best.orchestrationConcurrency}/${best.workerConcurrency}`,
      runs,
    },
  };
}
