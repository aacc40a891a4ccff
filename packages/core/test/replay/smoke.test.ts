import { describe, expect, it } from 'vitest';
import { runOrchestration } from './sim.js';

describe('smoke', () => {
  it('runs a hello world', async () => {
    const sim = await runOrchestration(
      'Hello',
      'World',
      {
        Hello: async (ctx, name: string) => {
          const g = await ctx.scheduleActivity('Greet', name);
          return g;
        },
      },
      { Greet: (n: string) => `Hello, ${n}!` },
    );
    expect(sim.output('i1')).toBe('Hello, World!');
    console.log(sim.history('i1').map((e) => `${e.eventId} ${e.kind} ${e.sourceEventId ?? ''}`));
  });
});
