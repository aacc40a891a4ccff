// W6: replay of a 10,000-event history, engine only (no provider). Times executeTurn from the built
// @duroxide/core dist replaying ~5,000 sequential activity steps, median of several runs.
import { pathToFileURL } from 'node:url';
import { executeTurn, prepareTurn } from '@duroxide/core';

const T0 = 1_700_000_000_000;

function event(eventId, sourceEventId, kind) {
  return {
    eventId,
    sourceEventId,
    instanceId: 'w6',
    executionId: 1,
    timestampMs: T0,
    duroxideVersion: '0.1.0',
    ...kind,
  };
}

/** Started + `steps` × (ActivityScheduled, ActivityCompleted). */
function buildHistory(steps) {
  const history = [
    event(1, null, { kind: 'OrchestrationStarted', name: 'W6', version: '1.0.0', input: String(steps) }),
  ];
  let id = 2;
  for (let i = 0; i < steps; i++) {
    const scheduled = id++;
    history.push(event(scheduled, null, { kind: 'ActivityScheduled', name: 'Step', input: String(i) }));
    history.push(event(id++, scheduled, { kind: 'ActivityCompleted', result: String(i * 2) }));
  }
  return history;
}

async function orchestration(ctx, steps) {
  let total = 0;
  for (let i = 0; i < steps; i++) total += await ctx.scheduleActivity('Step', i);
  return total;
}

async function replayOnce(history) {
  const prepared = prepareTurn({
    instance: 'w6',
    orchestrationName: 'W6',
    executionId: 1,
    version: '1.0.0',
    history,
    messages: [],
    historyError: null,
    kvSnapshot: {},
  });
  const start = performance.now();
  const outcome = await executeTurn(prepared, {
    handler: orchestration,
    version: '1.0.0',
    nowMs: T0,
    duroxideVersion: '0.1.0',
  });
  const ms = performance.now() - start;
  if (outcome.result.type !== 'completed')
    throw new Error(`W6 replay did not complete: ${JSON.stringify(outcome.result)}`);
  return ms;
}

/** Runs W6 and returns its figures. */
export async function run({ quick = false } = {}) {
  const steps = 5000;
  const runs = quick ? 3 : 9;
  const history = buildHistory(steps);
  await replayOnce(history); // warm-up (JIT)
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await replayOnce(history));
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  return {
    workload: 'W6',
    provider: 'engine',
    settings: { steps, events: history.length, runs, warmup: 1, statistic: 'median' },
    figures: { ms: Math.round(median * 100) / 100, events: history.length },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await run({ quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(result));
}
