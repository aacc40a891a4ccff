// M1: resident memory with many instances waiting (half on a 1 h timer, half on an external event), with
// the instance cache sized to hold every one of them and, for comparison, with the cache off.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, Runtime } from '@duroxide/core';
import { round, waitUntil } from '../lib/stats.mjs';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

function memory() {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

async function measure(store, count, instanceCacheSize) {
  store.fresh?.();
  const provider = await store.open();
  const runtime = new Runtime(provider, {
    orchestrationConcurrency: 4,
    workerConcurrency: 4,
    instanceCacheSize,
  });
  runtime.registerOrchestration('Sleeper', async (ctx, i) => {
    if (i % 2 === 0) await ctx.scheduleTimer(3_600_000);
    else await ctx.waitForEvent('wake');
    return i;
  });
  await runtime.start();
  const client = new Client(provider);
  const before = memory();
  const t0 = performance.now();
  const prefix = `m1-${instanceCacheSize}-${Date.now()}`;
  for (let i = 0; i < count; i++) await client.startOrchestration(`${prefix}-${i}`, 'Sleeper', i);
  // Each instance's first turn (the one that starts it) leaves it waiting on its timer or event.
  await waitUntil(() => runtime.metricsSnapshot().orchStarts >= count, 600_000, 50);
  const settleMs = performance.now() - t0;
  const after = memory();
  await runtime.shutdown(10_000);
  await provider.close();
  return {
    instanceCacheSize,
    settleMs: round(settleMs),
    rssBeforeMiB: round(before.rss / 2 ** 20),
    rssAfterMiB: round(after.rss / 2 ** 20),
    rssPerInstanceBytes: Math.round((after.rss - before.rss) / count),
    heapPerInstanceBytes: Math.round((after.heapUsed - before.heapUsed) / count),
  };
}

/** M1: memory of `count` waiting instances, cache on (holding all of them) and off. */
export async function run({ store, quick }) {
  const count = quick ? 2_000 : 10_000;
  const cached = await measure(store, count, count);
  const uncached = await measure(store, count, 0);
  return {
    workload: 'M1',
    settings: {
      instances: count,
      waitingOn: 'half a 1 h timer, half an external event',
      gc: 'forced before each reading',
    },
    figures: {
      rssPerInstanceBytes: cached.rssPerInstanceBytes,
      heapPerInstanceBytes: cached.heapPerInstanceBytes,
      rssAfterMiB: cached.rssAfterMiB,
      uncachedRssPerInstanceBytes: uncached.rssPerInstanceBytes,
      uncachedHeapPerInstanceBytes: uncached.heapPerInstanceBytes,
      runs: [cached, uncached],
    },
  };
}
