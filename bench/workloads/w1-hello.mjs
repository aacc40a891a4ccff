import { Client, Runtime } from '@duroxide/core';
import { percentile, pool, round, waitUntil } from '../lib/stats.mjs';

/** Client starts in flight at once: one connection-bound round trip each, so a serial loop measures latency. */
const START_CONCURRENCY = 32;

/** W1: N instances each calling one echo activity, started as fast as the client can. */
export async function run({ store, quick, concurrency = { orchestrations: 4, workers: 8 } }) {
  const count = quick ? 300 : 2000;
  const provider = await store.open();
  const runtime = new Runtime(provider, {
    orchestrationConcurrency: concurrency.orchestrations,
    workerConcurrency: concurrency.workers,
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
    const id = `w1-${wallStart}-${i}`;
    startedAt.set(id, Date.now());
    await client.startOrchestration(id, 'Hello', i);
  });
  const startMs = performance.now() - t0;
  // getSystemMetrics scans every instance; polling it every 5 ms cost ~7% of W1's CPU, 25 ms costs ~1%.
  await waitUntil(async () => (await admin.getSystemMetrics()).completedInstances >= count, 600_000, 25);
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
    workload: 'W1',
    settings: {
      instances: count,
      orchestrationConcurrency: concurrency.orchestrations,
      workerConcurrency: concurrency.workers,
      clientStartConcurrency: START_CONCURRENCY,
    },
    figures: {
      orchestrationsPerSec: round((count / totalMs) * 1000),
      startPhaseMs: round(startMs),
      totalMs: round(totalMs),
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
    },
  };
}
