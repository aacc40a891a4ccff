import type { OrchestrationContext } from '@duroxide/core';
import { expect } from 'vitest';
import { type HistoryEvent, scenarioIt } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** One step of a generated orchestration program. */
type Step =
  | { kind: 'act'; ok: boolean }
  | { kind: 'timer'; ms: number }
  | { kind: 'fan'; n: number; fail: number }
  | { kind: 'race'; ms: number }
  | { kind: 'throw' };

/** A small seeded PRNG (mulberry32), so every run generates the same programs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Generates a program of 2–6 steps; about one in five ends by throwing. */
function generateProgram(random: () => number): Step[] {
  const pick = (n: number) => Math.floor(random() * n);
  const steps: Step[] = Array.from({ length: 2 + pick(5) }, (): Step => {
    switch (pick(4)) {
      case 0:
        return { kind: 'act', ok: random() < 0.75 };
      case 1:
        return { kind: 'timer', ms: pick(3) * 5 };
      case 2:
        return { kind: 'fan', n: 1 + pick(3), fail: pick(5) };
      default:
        return { kind: 'race', ms: 5 + pick(20) };
    }
  });
  if (random() < 0.2) steps.push({ kind: 'throw' });
  return steps;
}

/** Runs a program; the trace records each step's outcome. */
async function runProgram(ctx: OrchestrationContext, steps: Step[]): Promise<unknown[]> {
  const trace: unknown[] = [];
  for (const [i, step] of steps.entries()) {
    if (step.kind === 'act') {
      trace.push(await ctx.scheduleActivity('Prop', { i, ok: step.ok }).then(String, () => `e${i}`));
    } else if (step.kind === 'timer') {
      await ctx.scheduleTimer(step.ms);
      trace.push(`t${i}`);
    } else if (step.kind === 'fan') {
      const all = await ctx.all(
        Array.from({ length: step.n }, (_, k) =>
          ctx.scheduleActivity('Prop', { i: i * 10 + k, ok: k !== step.fail }),
        ),
      );
      trace.push(all.map((r) => ('ok' in r ? r.ok : 'err')));
    } else if (step.kind === 'race') {
      const r = await ctx.race(ctx.scheduleActivity('Prop', { i, ok: true }), ctx.scheduleTimer(step.ms));
      trace.push(`r${r.index}`);
    } else {
      throw new Error(`program threw at step ${i}`);
    }
  }
  return trace;
}

/** The trace a program must produce (a race may go either way). */
function expectedTrace(steps: Step[]): unknown[] {
  return steps.flatMap((step, i): unknown[] => {
    if (step.kind === 'act') return [step.ok ? String(i) : `e${i}`];
    if (step.kind === 'timer') return [`t${i}`];
    if (step.kind === 'fan')
      return [Array.from({ length: step.n }, (_, k) => (k === step.fail ? 'err' : i * 10 + k))];
    if (step.kind === 'race') return [expect.stringMatching(/^r[01]$/)];
    return [];
  });
}

/** Asserts the history invariants every execution must keep. */
function expectInvariants(id: string, events: HistoryEvent[]): void {
  expect(
    events.map((e) => e.eventId),
    `${id}: event ids are 1..n`,
  ).toEqual(events.map((_, i) => i + 1));
  expect(events[0]?.kind, `${id}: starts with OrchestrationStarted`).toBe('OrchestrationStarted');
  const terminal = events.filter(
    (e) => e.kind === 'OrchestrationCompleted' || e.kind === 'OrchestrationFailed',
  );
  expect(terminal, `${id}: exactly one terminal event`).toHaveLength(1);
  expect(events.at(-1), `${id}: the terminal event is last`).toBe(terminal[0]);
  const byId = new Map(events.map((e) => [e.eventId, e]));
  const answered = new Set<number>();
  for (const e of events) {
    const pairs: Record<string, string> = {
      ActivityCompleted: 'ActivityScheduled',
      ActivityFailed: 'ActivityScheduled',
      TimerFired: 'TimerCreated',
    };
    const source = pairs[e.kind];
    if (source === undefined) continue;
    const scheduled = byId.get(Number(e.sourceEventId));
    expect(scheduled?.kind, `${id}: ${e.kind} #${e.eventId} answers a ${source}`).toBe(source);
    expect(Number(e.sourceEventId), `${id}: answered after scheduling`).toBeLessThan(e.eventId);
    expect(answered.has(Number(e.sourceEventId)), `${id}: #${e.sourceEventId} answered once`).toBe(false);
    answered.add(Number(e.sourceEventId));
  }
}

/** Checklist 60: generated programs keep the history invariants (ids, one terminal, activity lifecycle). */
export function propertyScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[60] generated programs: monotonic ids, exactly one terminal state, consistent lifecycles', async (s) => {
    const random = prng(0x5eed_2024);
    const programs = Array.from({ length: 16 }, () => generateProgram(random));
    await s.startRuntime((rt) => {
      rt.registerActivity('Prop', async (_ctx, x: { i: number; ok: boolean }) => {
        if (!x.ok) throw new Error(`step ${x.i} failed`);
        return x.i;
      });
      rt.registerOrchestration('Program', runProgram);
    });
    const ids = programs.map(() => s.id('prop'));
    await Promise.all(programs.map((p, k) => s.client.startOrchestration(ids[k] as string, 'Program', p)));
    for (const [k, program] of programs.entries()) {
      const id = ids[k] as string;
      const status = await s.client.waitForOrchestration(id, 15_000);
      if (program.at(-1)?.kind === 'throw') {
        expect(status.error, `${id}: ${JSON.stringify(program)}`).toContain('program threw');
      } else {
        expect(status.output, `${id}: ${JSON.stringify(program)}`).toEqual(expectedTrace(program));
      }
      expectInvariants(id, await s.history(id));
    }
  });
}
