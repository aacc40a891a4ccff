import type { Event, OrchestrationContext } from '@duroxide/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Step as RandomStep, runSteps, stepArbitrary } from './random-program.js';
import { replayProblems } from './replay-check.js';
import { Sim } from './sim.js';

type Leaf =
  | { t: 'act'; input: number; fail: boolean }
  | { t: 'timer'; ms: number }
  | { t: 'event'; name: string }
  | { t: 'queue'; name: string };
type Step = RandomStep<Leaf>;

const leaf: fc.Arbitrary<Leaf> = fc.oneof(
  fc.record({ t: fc.constant('act' as const), input: fc.integer({ min: 0, max: 9 }), fail: fc.boolean() }),
  fc.record({ t: fc.constant('timer' as const), ms: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ t: fc.constant('event' as const), name: fc.constantFrom('E1', 'E2') }),
  fc.record({ t: fc.constant('queue' as const), name: fc.constantFrom('Q1', 'Q2') }),
);
const program = fc.array(stepArbitrary(leaf, 3), { minLength: 1, maxLength: 6 });

function runLeaf(ctx: OrchestrationContext, l: Leaf): PromiseLike<unknown> {
  switch (l.t) {
    case 'act':
      return ctx.scheduleActivity(l.fail ? 'Fail' : 'Echo', l.input);
    case 'timer':
      return ctx.scheduleTimer(l.ms);
    case 'event':
      return ctx.waitForEvent(l.name);
    case 'queue':
      return ctx.dequeueEvent(l.name);
  }
}

function interpret(ctx: OrchestrationContext, steps: Step[]): Promise<unknown[]> {
  return runSteps(ctx, steps, runLeaf);
}

const handler = (ctx: OrchestrationContext, steps: Step[]) => interpret(ctx, steps);

async function simulate(steps: Step[]): Promise<Sim> {
  const sim = new Sim(
    { Prog: handler },
    {
      Echo: (x: number) => x * 2,
      Fail: () => {
        throw new Error('boom');
      },
    },
  );
  sim.start('p', 'Prog', steps);
  for (let round = 0; round < 40 && sim.terminal('p') === undefined; round++) {
    await sim.runToIdle();
    if (sim.terminal('p') !== undefined) break;
    // Feed one event and one queue message per name so every wait eventually completes.
    for (const name of ['E1', 'E2']) sim.raise('p', name, `${name}#${round}`);
    for (const name of ['Q1', 'Q2'])
      sim.enqueue({ kind: 'QueueMessage', instance: 'p', name, data: JSON.stringify(`${name}#${round}`) });
  }
  await sim.runToIdle();
  return sim;
}

function checkInvariants(events: Event[]): void {
  for (let i = 1; i < events.length; i++) expect(events[i]!.eventId).toBeGreaterThan(events[i - 1]!.eventId);
  const terminals = events.filter(
    (e) => e.kind === 'OrchestrationCompleted' || e.kind === 'OrchestrationFailed',
  );
  expect(terminals).toHaveLength(1);
  expect(events.at(-1)).toBe(terminals[0]);
  expect(events[0]?.kind).toBe('OrchestrationStarted');
}

describe('property: random orchestrations', () => {
  it('run to completion with strictly increasing ids and exactly one terminal event, last', async () => {
    await fc.assert(
      fc.asyncProperty(program, async (steps) => {
        const sim = await simulate(steps);
        checkInvariants(sim.history('p'));
        expect(sim.terminal('p')?.kind).toBe('OrchestrationCompleted');
      }),
      { numRuns: 60 },
    );
  });

  it('replayed from their own histories produce no new actions and the same result', async () => {
    await fc.assert(
      fc.asyncProperty(program, async (steps) => {
        const sim = await simulate(steps);
        expect(await replayProblems('p', 1, sim.history('p'), handler)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('are deterministic: a second run records the identical history', async () => {
    await fc.assert(
      fc.asyncProperty(program, async (steps) => {
        const a = await simulate(steps);
        const b = await simulate(steps);
        expect(b.history('p')).toEqual(a.history('p'));
      }),
      { numRuns: 30 },
    );
  });
});
