// The workflow the Postgres crash test runs: an activity, a durable timer, a fan-out of two activities
// and, for every fifth instance, a sub-orchestration. Shared by the worker processes and the test.

/** Small random delay so kills land at varied points inside activities. */
const jitter = () => new Promise((r) => setTimeout(r, Math.floor(Math.random() * 10)));

/** Registers the workflow; `recordRun()` is called on every activity run (proves the work was spread). */
export function registerCrashWorkflow(runtime, recordRun) {
  runtime.registerActivity('Step', async (_ctx, input) => {
    await jitter();
    await recordRun();
    return `${input.step}(${input.n})`;
  });
  runtime.registerOrchestration('CrashChild', async (ctx, n) => {
    const a = await ctx.scheduleActivity('Step', { n, step: 'child' });
    return a.toUpperCase();
  });
  runtime.registerOrchestration('CrashFlow', async (ctx, n) => {
    const s1 = await ctx.scheduleActivity('Step', { n, step: 's1' });
    await ctx.scheduleTimer(20);
    const fan = await ctx.all([
      ctx.scheduleActivity('Step', { n, step: 's2' }),
      ctx.scheduleActivity('Step', { n, step: 's3' }),
    ]);
    const child = n % 5 === 0 ? await ctx.scheduleSubOrchestration('CrashChild', n) : null;
    return { n, s1, fan: fan.map((r) => r.ok), child };
  });
}

/** The output instance `n` must end with. */
export function expectedOutput(n) {
  return { n, s1: `s1(${n})`, fan: [`s2(${n})`, `s3(${n})`], child: n % 5 === 0 ? `CHILD(${n})` : null };
}

/** The activity steps instance `n` records exactly once (its child records `child`). */
export function parentSteps() {
  return ['s1', 's2', 's3'];
}
