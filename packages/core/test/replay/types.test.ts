import {
  type ActivityTask,
  type DurableTask,
  defineActivity,
  defineOrchestration,
  type OrchestrationContext,
  type Settled,
} from '@duroxide/core';
import { describe, expectTypeOf, it } from 'vitest';
import { turn } from './builders.js';

const greet = defineActivity('Greet', async (_ctx, input: { name: string }) => ({
  text: `hi ${input.name}`,
  n: 1,
}));
const child = defineOrchestration('Child', async (_ctx, input: number) => String(input));

describe('type flow', () => {
  it('a typed activity handle flows input and output through scheduleActivity', async () => {
    const out = await turn(async (ctx: OrchestrationContext) => {
      const task = ctx.scheduleActivity(greet, { name: 'x' });
      expectTypeOf(task).toEqualTypeOf<ActivityTask<{ text: string; n: number }>>();
      expectTypeOf(ctx.scheduleActivity<{ name: string }, { text: string; n: number }>)
        .parameter(1)
        .toEqualTypeOf<{ name: string } | undefined>();
      // @ts-expect-error the input type is enforced
      void ctx.scheduleActivity(greet, { nom: 'x' });
      const sub = ctx.scheduleSubOrchestration(child, 3);
      expectTypeOf(sub).toEqualTypeOf<DurableTask<string>>();
      const raced = ctx.race(task, ctx.scheduleTimer(5), sub);
      expectTypeOf(raced).resolves.toEqualTypeOf<
        | { index: 0; value: { text: string; n: number } }
        | { index: 1; value: null }
        | { index: 2; value: string }
      >();
      const all = ctx.all([task, ctx.scheduleTimer(1)] as const);
      expectTypeOf(all).resolves.toEqualTypeOf<
        readonly [Settled<{ text: string; n: number }>, Settled<null>]
      >();
      task.cancel();
      sub.cancel();
      return 1;
    });
    expectTypeOf(out.result.type).toEqualTypeOf<
      'continue' | 'completed' | 'failed' | 'continuedAsNew' | 'cancelled'
    >();
  });
});
