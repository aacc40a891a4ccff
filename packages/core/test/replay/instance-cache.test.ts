/**
 * The instance cache's engine half: continuing a suspended orchestration with `resumeTurn` must give the
 * same acks, results, histories and traces as replaying from the start on every turn. Random programs
 * (fast-check) and hand-written edge cases run twice, cache off and cache on, in lockstep.
 */
import {
  executeTurn,
  type OrchestrationContext,
  type OrchestrationHandler,
  type OrchestratorItem,
  prepareTurn,
  resumeTurn,
  type SuspendedTurn,
  type TurnOutcome,
} from '@duroxide/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Step as RandomStep, runSteps, stepArbitrary } from './random-program.js';
import { Sim, type SimActivity } from './sim.js';

/** `Sim.apply` is private; the caching variant reuses it instead of duplicating the store logic. */
type SimInternals = { apply(instance: string, outcome: TurnOutcome): void };

/** A simulator whose turns continue cached orchestrations instead of replaying them. */
class CachingSim extends Sim {
  readonly cache = new Map<string, SuspendedTurn>();
  hits = 0;
  fallbacks = 0;

  override async runTurn(instance: string, messages: OrchestratorItem[]): Promise<TurnOutcome | null> {
    this.turns++;
    const cached = this.cache.get(instance);
    this.cache.delete(instance);
    const prepared = prepareTurn(this.item(instance, messages));
    if (prepared.type === 'ackOnly') return null;
    const handler = this.orchestrations[prepared.orchestrationName];
    if (handler === undefined) throw new Error(`no orchestration ${prepared.orchestrationName}`);
    const execution = {
      handler,
      version: prepared.requestedVersion ?? '1.0.0',
      nowMs: this.nowMs,
      duroxideVersion: '0.1.0',
      trace: (level: string, message: string) => this.traces.push(`${instance} ${level} ${message}`),
      suspend: true,
    };
    let outcome = cached === undefined ? null : await resumeTurn(cached, prepared, execution);
    if (outcome !== null) this.hits++;
    else {
      if (cached !== undefined) this.fallbacks++;
      outcome = await executeTurn(prepared, execution);
    }
    if (outcome.suspended) this.cache.set(instance, outcome.suspended);
    (this as unknown as SimInternals).apply(instance, outcome);
    this.outcomes.push({ instance, outcome });
    return outcome;
  }
}

type Leaf =
  | { t: 'act'; input: number; fail: boolean }
  | { t: 'timer'; ms: number }
  | { t: 'event'; name: string }
  | { t: 'queue'; name: string }
  | { t: 'sub'; input: number }
  | { t: 'status'; text: string }
  | { t: 'kv'; key: string; value: number }
  | { t: 'trace'; text: string };
type Step = RandomStep<Leaf>;
interface Program {
  steps: Step[];
  /** Continue-as-new this many times before finishing. */
  generations: number;
}

const leaf: fc.Arbitrary<Leaf> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('act' as const), input: fc.nat(9), fail: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('timer' as const), ms: fc.nat(50) }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('event' as const), name: fc.constantFrom('E1', 'E2') }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('queue' as const), name: fc.constantFrom('Q1', 'Q2') }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('sub' as const), input: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('status' as const), text: fc.constantFrom('a', 'b') }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('kv' as const),
      key: fc.constantFrom('k1', 'k2'),
      value: fc.nat(9),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('trace' as const), text: fc.constantFrom('x', 'y') }) },
);
const program: fc.Arbitrary<Program> = fc.record({
  steps: fc.array(stepArbitrary(leaf, 4), { minLength: 1, maxLength: 8 }),
  generations: fc.nat(2),
});

function runLeaf(ctx: OrchestrationContext, l: Leaf): PromiseLike<unknown> | unknown {
  switch (l.t) {
    case 'act':
      return ctx.scheduleActivity(l.fail ? 'Fail' : 'Echo', l.input);
    case 'timer':
      return ctx.scheduleTimer(l.ms);
    case 'event':
      return ctx.waitForEvent(l.name);
    case 'queue':
      return ctx.dequeueEvent(l.name);
    case 'sub':
      return ctx.scheduleSubOrchestration('Child', l.input);
    case 'status':
      ctx.setCustomStatus(l.text);
      return ctx.getCustomStatus();
    case 'kv':
      ctx.setValue(l.key, String(l.value));
      return ctx.getKvAllValues();
    case 'trace':
      ctx.traceInfo(`${l.text} replaying=${ctx.isReplaying}`);
      return l.text;
  }
}

const Prog: OrchestrationHandler = async (ctx, input: Program & { generation?: number }) => {
  const out = await runSteps(ctx, input.steps, runLeaf);
  const generation = input.generation ?? 0;
  if (generation < input.generations) return ctx.continueAsNew({ ...input, generation: generation + 1 });
  return out;
};

const ORCHESTRATIONS: Record<string, OrchestrationHandler> = {
  Prog,
  Child: async (ctx, n: number) => (await ctx.scheduleActivity('Echo', n)) as number,
};
const ACTIVITIES: Record<string, SimActivity> = {
  Echo: (x: number) => x * 2,
  Fail: () => {
    throw new Error('boom');
  },
};

/** Drives an instance to its end, feeding events and queue messages whenever it idles. */
async function drive(sim: Sim, instance: string, cancelAtRound: number | null): Promise<void> {
  for (let round = 0; round < 40 && sim.terminal(instance) === undefined; round++) {
    await sim.runToIdle();
    if (sim.terminal(instance) !== undefined) break;
    if (round === cancelAtRound) sim.enqueue({ kind: 'CancelInstance', instance, reason: 'stop' });
    for (const name of ['E1', 'E2']) sim.raise(instance, name, `${name}#${round}`);
    for (const name of ['Q1', 'Q2'])
      sim.enqueue({ kind: 'QueueMessage', instance, name, data: JSON.stringify(`${name}#${round}`) });
  }
  await sim.runToIdle();
}

/** Runs the same program with and without the cache; both must record exactly the same thing. */
async function twin(
  orchestrations: Record<string, OrchestrationHandler>,
  start: [string, string, unknown],
  cancelAtRound: number | null = null,
): Promise<{ plain: Sim; cached: CachingSim }> {
  const plain = new Sim(orchestrations, ACTIVITIES);
  const cached = new CachingSim(orchestrations, ACTIVITIES);
  for (const sim of [plain, cached]) {
    sim.start(...start);
    await drive(sim, start[0], cancelAtRound);
  }
  const strip = (s: Sim) =>
    s.outcomes.map(({ instance, outcome }) => ({
      instance,
      ack: outcome.ack,
      result: outcome.result,
      history: outcome.history,
      dropped: outcome.dropped,
    }));
  expect(strip(cached)).toEqual(strip(plain));
  expect([...cached.instances.keys()]).toEqual([...plain.instances.keys()]);
  for (const id of plain.instances.keys()) {
    expect(cached.state(id).executions).toEqual(plain.state(id).executions);
  }
  expect(cached.traces).toEqual(plain.traces);
  return { plain, cached };
}

describe('instance cache: resumed turns equal replays from the start', () => {
  it('random programs (activities, timers, events, queues, sub-orchestrations, races, KV, status, continue-as-new)', async () => {
    let hits = 0;
    await fc.assert(
      fc.asyncProperty(program, fc.option(fc.nat(3), { nil: null }), async (p, cancelAt) => {
        const { cached } = await twin(ORCHESTRATIONS, ['p', 'Prog', p], cancelAt);
        hits += cached.hits;
        expect(cached.fallbacks).toBe(0);
      }),
      { numRuns: 80 },
    );
    // The property is only meaningful if most turns actually resumed.
    expect(hits).toBeGreaterThan(80);
  });

  it('a long chain resumes on every turn after the first', async () => {
    const orchestrations: Record<string, OrchestrationHandler> = {
      Chain: async (ctx, n: number) => {
        let acc = 0;
        for (let i = 0; i < n; i++) acc = (await ctx.scheduleActivity('Echo', acc + 1)) as number;
        return acc;
      },
    };
    const { plain, cached } = await twin(orchestrations, ['c', 'Chain', 50]);
    expect(plain.output('c')).toBe(cached.output('c'));
    expect(cached.hits).toBe(50);
    expect(cached.turns).toBe(51);
  });

  it('a history this process did not commit is refused and replayed from the start', async () => {
    const orchestrations: Record<string, OrchestrationHandler> = {
      Two: async (ctx) => [await ctx.waitForEvent('a'), await ctx.waitForEvent('b')],
    };
    const sim = new CachingSim(orchestrations, ACTIVITIES);
    sim.start('x', 'Two');
    await sim.runToIdle();
    const suspended = sim.cache.get('x');
    expect(suspended).toBeDefined();
    sim.raise('x', 'a', 1);
    await sim.runToIdle();
    expect(sim.hits).toBe(1);
    // Put the stale entry back: the history has grown since, so it must not be used.
    sim.cache.set('x', suspended!);
    sim.raise('x', 'b', 2);
    await sim.runToIdle();
    expect(sim.fallbacks).toBe(1);
    expect(sim.output('x')).toEqual([1, 2]);
  });

  it('a spent entry is never resumed twice', async () => {
    const orchestrations: Record<string, OrchestrationHandler> = {
      One: async (ctx) => ctx.waitForEvent('a'),
    };
    const sim = new CachingSim(orchestrations, ACTIVITIES);
    sim.start('y', 'One');
    await sim.runToIdle();
    const entry = sim.cache.get('y')!;
    const prepared = prepareTurn(
      sim.item('y', [{ kind: 'ExternalRaised', instance: 'y', name: 'a', data: '1' }]),
    );
    if (prepared.type !== 'run') throw new Error('expected a run turn');
    const One: OrchestrationHandler = async (ctx) => orchestrations.One!(ctx, undefined);
    const execution = { handler: One, version: '1.0.0', nowMs: sim.nowMs, duroxideVersion: '0.1.0' };
    // A different handler than the suspended one: refused, and the entry is spent.
    expect(await resumeTurn(entry, prepared, execution)).toBeNull();
    const same = { ...execution, handler: orchestrations.One! };
    expect(await resumeTurn(entry, prepared, same)).toBeNull();
  });

  it('a late context call between turns falls back to the replay that reports it', async () => {
    let leak: (() => void) | null = null;
    const orchestrations: Record<string, OrchestrationHandler> = {
      Leaky: async (ctx) => {
        const first = ctx.waitForEvent('a');
        leak = () => {
          ctx.scheduleTimer(1);
        };
        return first;
      },
    };
    const sim = new CachingSim(orchestrations, ACTIVITIES);
    sim.start('z', 'Leaky');
    await sim.runToIdle();
    expect(() => leak!()).toThrow(/no orchestration turn was running/);
    sim.raise('z', 'a', 1);
    await sim.runToIdle();
    expect(sim.fallbacks).toBe(1);
    expect(sim.terminal('z')?.kind).toBe('OrchestrationFailed');
  });
});
