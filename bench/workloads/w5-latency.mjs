import { Client, Runtime } from '@duroxide/core';
import { percentile, waitUntil } from '../lib/stats.mjs';

/** W5: timer fire delay, raiseEvent → resume, and activity schedule → start; p50/p99 over N samples each. */
export async function run({ store, quick }) {
  const samples = quick ? 50 : 200;
  const provider = await store.open();
  const runtime = new Runtime(provider, { orchestrationConcurrency: 2, workerConcurrency: 2 });
  runtime.registerActivity('Now', async () => Date.now());
  runtime.registerOrchestration('TimerProbe', async (ctx) => ctx.scheduleTimer(0));
  runtime.registerOrchestration('EventProbe', async (ctx) => ctx.waitForEvent('go'));
  runtime.registerOrchestration('ActivityProbe', async (ctx) => ctx.scheduleActivity('Now'));
  await runtime.start();
  const client = new Client(provider);
  const prefix = `w5-${Date.now()}`;
  const timer = [];
  const event = [];
  const activity = [];
  for (let i = 0; i < samples; i++) {
    const id = `${prefix}-t-${i}`;
    await client.startOrchestration(id, 'TimerProbe');
    await client.waitForOrchestration(id, 30_000);
    const h = await provider.read(id);
    const created = h.find((e) => e.kind === 'TimerCreated');
    const fired = h.find((e) => e.kind === 'TimerFired');
    timer.push(fired.timestampMs - created.fireAtMs);
  }
  for (let i = 0; i < samples; i++) {
    const id = `${prefix}-e-${i}`;
    await client.startOrchestration(id, 'EventProbe');
    await waitUntil(
      async () => (await provider.read(id)).some((e) => e.kind === 'ExternalSubscribed'),
      30_000,
      1,
    );
    const t0 = Date.now();
    await client.raiseEvent(id, 'go', i);
    await client.waitForOrchestration(id, 30_000);
    const h = await provider.read(id);
    event.push(h.find((e) => e.kind === 'ExternalEvent').timestampMs - t0);
  }
  for (let i = 0; i < samples; i++) {
    const id = `${prefix}-a-${i}`;
    await client.startOrchestration(id, 'ActivityProbe');
    const status = await client.waitForOrchestration(id, 30_000);
    const h = await provider.read(id);
    activity.push(status.output - h.find((e) => e.kind === 'ActivityScheduled').timestampMs);
  }
  await runtime.shutdown(10_000);
  await provider.close();
  return {
    workload: 'W5',
    settings: { samples, orchestrationConcurrency: 2, workerConcurrency: 2, sequential: true },
    figures: {
      timerP50Ms: percentile(timer, 50),
      timerP99Ms: percentile(timer, 99),
      eventP50Ms: percentile(event, 50),
      eventP99Ms: percentile(event, 99),
      activityP50Ms: percentile(activity, 50),
      activityP99Ms: percentile(activity, 99),
    },
  };
}
