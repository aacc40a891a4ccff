import { Client, Runtime } from '@duroxide/core';
import { round } from '../lib/stats.mjs';

/** W4: one instance scheduling 1,000 activities at once and joining them; wall time. */
export async function run({ store, quick }) {
  const count = quick ? 300 : 1000;
  const provider = await store.open();
  const runtime = new Runtime(provider, { orchestrationConcurrency: 2, workerConcurrency: 16 });
  runtime.registerActivity('Work', async (_ctx, i) => i * 2);
  runtime.registerOrchestration('Fanout', async (ctx, n) => {
    const results = await Promise.all(Array.from({ length: n }, (_, i) => ctx.scheduleActivity('Work', i)));
    return results.length;
  });
  await runtime.start();
  const client = new Client(provider);
  const id = `w4-${Date.now()}`;
  const t0 = performance.now();
  await client.startOrchestration(id, 'Fanout', count);
  const status = await client.waitForOrchestration(id, 600_000);
  const totalMs = performance.now() - t0;
  await runtime.shutdown(10_000);
  await provider.close();
  if (status.status !== 'Completed') throw new Error(`W4: ${JSON.stringify(status)}`);
  return {
    workload: 'W4',
    settings: { activities: count, orchestrationConcurrency: 2, workerConcurrency: 16 },
    figures: { seconds: round(totalMs / 1000) },
  };
}
