import { Client, Runtime } from '@duroxide/core';
import { round } from '../lib/stats.mjs';

/** One W2 run: keep `inFlight` fan-out-of-5 instances running for `durationMs`. */
async function runOnce(store, { orchestrations, workers }, durationMs, inFlight) {
  const provider = await store.open();
  const runtime = new Runtime(provider, {
    orchestrationConcurrency: orchestrations,
    workerConcurrency: workers,
  });
  runtime.registerActivity('Sleep10', async () => {
    await new Promise((r) => setTimeout(r, 10));
    return 'ok';
  });
  runtime.registerOrchestration('Fanout5', async (ctx) => {
    const tasks = [0, 1, 2, 3, 4].map((i) => ctx.scheduleActivity('Sleep10', i));
    return Promise.all(tasks);
  });
  await runtime.start();
  const client = new Client(provider);
  let launched = 0;
  let completed = 0;
  let failed = 0;
  const prefix = `w2-${Date.now()}-${orchestrations}x${workers}`;
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  async function pump() {
    while (performance.now() < deadline) {
      const id = `${prefix}-${launched++}`;
      await client.startOrchestration(id, 'Fanout5', null);
      const status = await client.waitForOrchestration(id, 60_000);
      if (status.status === 'Completed') completed++;
      else failed++;
    }
  }
  await Promise.all(Array.from({ length: inFlight }, pump));
  const totalMs = performance.now() - t0;
  await runtime.shutdown(10_000);
  await provider.close();
  return {
    orchestrationConcurrency: orchestrations,
    workerConcurrency: workers,
    launched,
    completed,
    failed,
    orchestrationsPerSec: round((completed / totalMs) * 1000),
    activitiesPerSec: round(((completed * 5) / totalMs) * 1000),
  };
}

/** W2: duroxide's stress shape at 2/2 and at a few larger settings; reports the best. */
export async function run({ store, quick }) {
  const durationMs = quick ? 2_000 : 10_000;
  const settings = quick
    ? [
        { orchestrations: 2, workers: 2 },
        { orchestrations: 4, workers: 32 },
      ]
    : [
        { orchestrations: 2, workers: 2 },
        { orchestrations: 2, workers: 16 },
        { orchestrations: 4, workers: 32 },
        { orchestrations: 8, workers: 64 },
      ];
  const runs = [];
  for (const s of settings) runs.push(await runOnce(store, s, durationMs, 20));
  const best = runs.reduce((a, b) => (b.orchestrationsPerSec > a.orchestrationsPerSec ? b : a));
  return {
    workload: 'W2',
    settings: { inFlight: 20, durationMs, activitySleepMs: 10, tried: settings },
    figures: {
      at2x2OrchestrationsPerSec: runs[0].orchestrationsPerSec,
      at2x2ActivitiesPerSec: runs[0].activitiesPerSec,
      bestOrchestrationsPerSec: best.orchestrationsPerSec,
      bestActivitiesPerSec: best.activitiesPerSec,
      bestSetting: `${best.orchestrationConcurrency}/${best.workerConcurrency}`,
      failed: runs.reduce((n, r) => n + r.failed, 0),
      runs,
    },
  };
}
