// The multi-step workflow the crash test runs: activities, a fan-out, a durable timer and a sub-orchestration.
// Shared by the worker process and the test (which computes the expected output with `expectedOutput`).

/** Small random delay so kills land at varied points inside activities. */
const jitter = () => new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));

/** Registers the crash workflow's activities and orchestrations on a runtime. */
export function registerCrashWorkflow(runtime) {
  runtime.registerActivity('Step', async (_ctx, input) => {
    await jitter();
    return `${input.step}(${input.n})`;
  });
  runtime.registerOrchestration('CrashChild', async (ctx, n) => {
    const a = await ctx.scheduleActivity('Step', { n, step: 'child' });
    await ctx.scheduleTimer(200);
    return a.toUpperCase();
  });
  runtime.registerOrchestration('CrashFlow', async (ctx, n) => {
    ctx.setCustomStatus('s1');
    const s1 = await ctx.scheduleActivity('Step', { n, step: 's1' });
    // The timers pace every instance over about a second and a half, so early kills always interrupt work.
    await ctx.scheduleTimer(600);
    ctx.setCustomStatus('fan-out');
    const fan = await ctx.all([
      ctx.scheduleActivity('Step', { n, step: 's2' }),
      ctx.scheduleActivity('Step', { n, step: 's3' }),
    ]);
    const child = await ctx.scheduleSubOrchestration('CrashChild', n);
    await ctx.scheduleTimer(600);
    const s4 = await ctx.scheduleActivity('Step', { n, step: 's4' });
    ctx.setCustomStatus('done');
    return { n, s1, fan: fan.map((r) => r.ok), child, s4 };
  });
}

/** The output instance `n` must end with. */
export function expectedOutput(n) {
  return { n, s1: `s1(${n})`, fan: [`s2(${n})`, `s3(${n})`], child: `CHILD(${n})`, s4: `s4(${n})` };
}

/** The activity steps each parent records exactly once (the child records `child`). */
export const PARENT_STEPS = ['s1', 's2', 's3', 's4'];
