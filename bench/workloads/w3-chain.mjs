import { Client, Runtime } from '@duroxide/core';
import { round } from '../lib/stats.mjs';

/** W3: one instance calling `steps` activities one after another; ms per step. */
async function chain(store, steps) {
  const provider = await store.open();
  const runtime = new Runtime(provider, { orchestrationConcurrency: 1, workerConcurrency: 1 });
  runtime.registerActivity('Step', async (_ctx, i) => i + 1);
  runtime.registerOrchestration('Chain', async (ctx, n) => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc = await ctx.scheduleActivity('Step', acc);
    return acc;
  });
  await runtime.start();
  const client = new Client(provider);
  const id = `w3-${Date.now()}-${steps}`;
  const t0 = performance.now();
  await client.startOrchestration(id, 'Chain', steps);
  const status = await client.waitForOrchestration(id, 600_000);
  const totalMs = performance.now() - t0;
  await runtime.shutdown(10_000);
  await provider.close();
  if (status.status !== 'Completed' || status.output !== steps)
    throw new Error(`W3 ${steps}: ${JSON.stringify(status)}`);
  return { steps, totalMs: round(totalMs), msPerStep: round(totalMs / steps) };
}

/** W3: chains of 100 and 1,000 steps (quick: 100 and 300). */
export async function run({ store, quick }) {
  const lengths = quick ? [100, 300] : [100, 1000];
  // An unmeasured chain first: the 100-step figure otherwise mostly measured JIT warm-up.
  const warmupSteps = quick ? 30 : 100;
  await chain(store, warmupSteps);
  const results = [];
  for (const n of lengths) results.push(await chain(store, n));
  return {
    workload: 'W3',
    settings: { lengths, warmupSteps, orchestrationConcurrency: 1, workerConcurrency: 1 },
    figures: Object.fromEntries(results.map((r) => [`msPerStep${r.steps}`, r.msPerStep])),
  };
}
