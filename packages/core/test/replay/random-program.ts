/**
 * The composition skeleton shared by the random-program property tests (property.test.ts,
 * instance-cache.test.ts): steps that are leaves or `ctx.all` / `ctx.race` over members, where a member is
 * a leaf or a sequential block of leaves. Each test brings its own leaf kinds and how to run them.
 */
import type { OrchestrationContext } from '@duroxide/core';
import fc from 'fast-check';

/** A combinator member: one leaf, or a block of leaves awaited in sequence. */
export type Member<L> = L | { t: 'block'; steps: L[] };

/** One program step: a leaf, or `ctx.all` / `ctx.race` over members. */
export type Step<L> = L | { t: 'all'; members: Member<L>[] } | { t: 'race'; members: Member<L>[] };

/** Runs one leaf; durable tasks are returned as they are so the combinators see them. */
export type LeafRunner<L> = (ctx: OrchestrationContext, leaf: L) => unknown;

/** Arbitraries for steps over `leaf`; a step is a plain leaf with weight `leafWeight` against 1 each for all/race. */
export function stepArbitrary<L>(leaf: fc.Arbitrary<L>, leafWeight: number): fc.Arbitrary<Step<L>> {
  const member: fc.Arbitrary<Member<L>> = fc.oneof(
    { weight: 3, arbitrary: leaf },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('block' as const),
        steps: fc.array(leaf, { minLength: 1, maxLength: 3 }),
      }),
    },
  );
  return fc.oneof(
    { weight: leafWeight, arbitrary: leaf },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('all' as const),
        members: fc.array(member, { minLength: 1, maxLength: 3 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('race' as const),
        members: fc.array(member, { minLength: 1, maxLength: 3 }),
      }),
    },
  );
}

/** The tag of a step or member (leaves carry their own `t`, distinct from block/all/race). */
function tag(node: unknown): string {
  return (node as { t: string }).t;
}

/** Runs a member: a leaf as is, a block as one async sequence. */
function runMember<L>(ctx: OrchestrationContext, m: Member<L>, runLeaf: LeafRunner<L>): PromiseLike<unknown> {
  // Durable tasks go to the combinators as they are (wrapping them would turn them into foreign promises).
  if (tag(m) !== 'block') return runLeaf(ctx, m as L) as PromiseLike<unknown>;
  const block = m as { steps: L[] };
  return (async () => {
    const out: unknown[] = [];
    for (const s of block.steps) out.push(await runLeaf(ctx, s));
    return out;
  })();
}

/** Runs `steps` in order, recording each result, or `caught <message>` for a step that threw. */
export async function runSteps<L>(
  ctx: OrchestrationContext,
  steps: Step<L>[],
  runLeaf: LeafRunner<L>,
): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const s of steps) {
    try {
      const members = (s as { members?: Member<L>[] }).members ?? [];
      if (tag(s) === 'all') out.push(await ctx.all(members.map((m) => runMember(ctx, m, runLeaf))));
      else if (tag(s) === 'race') out.push(await ctx.race(members.map((m) => runMember(ctx, m, runLeaf))));
      else out.push(await runLeaf(ctx, s as L));
    } catch (e) {
      out.push(`caught ${(e as Error).message}`);
    }
  }
  return out;
}
