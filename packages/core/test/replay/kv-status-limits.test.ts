import { MAX_KV_KEYS, type OrchestrationContext } from '@duroxide/core';
import { describe, expect, it } from 'vitest';
import { failureOf, HistoryBuilder, kinds, msg, T0, turn } from './builders.js';
import { Sim } from './sim.js';

describe('KV replay (§9.36)', () => {
  it('rebuilds state from replayed set/clear calls on top of the snapshot (prior executions only)', async () => {
    const code = async (ctx: OrchestrationContext) => {
      const before = ctx.getKvAllValues();
      const n = Number(ctx.getValue('counter') ?? '0');
      ctx.setValue('counter', String(n + 1));
      await ctx.scheduleTimer(10);
      ctx.clearValue('old');
      return { before, after: ctx.getKvAllValues(), keys: ctx.getKvAllKeys(), len: ctx.getKvLength() };
    };
    const first = await turn(code, {
      kvSnapshot: { counter: { value: '4', lastUpdatedAtMs: 1 }, old: { value: 'x', lastUpdatedAtMs: 1 } },
    });
    expect(kinds(first)).toEqual(['OrchestrationStarted', 'KeyValueSet', 'TimerCreated']);
    const second = await turn(code, {
      history: first.history,
      messages: [msg.fired(3)],
      kvSnapshot: { counter: { value: '4', lastUpdatedAtMs: 1 }, old: { value: 'x', lastUpdatedAtMs: 1 } },
    });
    expect(second.result).toEqual({
      type: 'completed',
      output: JSON.stringify({
        before: { counter: '4', old: 'x' },
        after: { counter: '5' },
        keys: ['counter'],
        len: 1,
      }),
    });
  });

  it('ignores the recorded timestamp when matching and prunes with recorded timestamps on replay', async () => {
    const h = new HistoryBuilder();
    h.started();
    h.add({ kind: 'KeyValueSet', key: 'k', value: 'v', lastUpdatedAtMs: 5 });
    h.fired(h.timer());
    const out = await turn(
      async (ctx) => {
        ctx.setValue('k', 'v');
        await ctx.scheduleTimer(1);
        return ctx.pruneKvValuesUpdatedBefore(10);
      },
      { history: h.events, messages: [], nowMs: T0 },
    );
    expect(out.result).toEqual({ type: 'completed', output: '1' });
    expect(kinds(out)).toEqual(['KeyValueCleared', 'OrchestrationCompleted']);
  });

  it('read-modify-write counter survives turns and continue-as-new (sim)', async () => {
    const sim = new Sim({
      Counter: async (ctx, rounds: number) => {
        const n = Number(ctx.getValue('n') ?? '0') + 1;
        ctx.setValue('n', String(n));
        await ctx.scheduleTimer(5);
        if (rounds > 1) return ctx.continueAsNew(rounds - 1);
        return Number(ctx.getValue('n'));
      },
    });
    sim.start('i1', 'Counter', 3);
    await sim.runToIdle();
    expect(sim.output('i1')).toBe(3);
    expect(sim.state('i1').executions).toHaveLength(3);
  });

  it('rejects non-string values with a clear error', async () => {
    const out = await turn(async (ctx) => {
      ctx.setValue('k', 42 as unknown as string);
    });
    expect(failureOf(out)).toBe("KV value for key 'k' must be a string, got number");
  });
});

describe('custom status (§3.12)', () => {
  it('set, reset and get; seeded from initialCustomStatus; replay does not compare values', async () => {
    const h = new HistoryBuilder();
    h.started('Orch', null, { initialCustomStatus: 'carried' });
    h.add({ kind: 'CustomStatusUpdated', status: 'recorded-value' });
    const seen: (string | null)[] = [];
    const out = await turn(
      async (ctx) => {
        seen.push(ctx.getCustomStatus());
        ctx.setCustomStatus('different-value');
        seen.push(ctx.getCustomStatus());
        ctx.resetCustomStatus();
        seen.push(ctx.getCustomStatus());
        return 'done';
      },
      { history: h.events, messages: [] },
    );
    expect(seen).toEqual(['carried', 'different-value', null]);
    expect(kinds(out)).toEqual(['CustomStatusUpdated', 'OrchestrationCompleted']);
  });
});

describe('limits (API.md numbers; violations fail with a message naming the limit)', () => {
  it('custom status of exactly 256 KiB is fine, one byte more fails', async () => {
    const ok = await turn(async (ctx) => ctx.setCustomStatus('x'.repeat(262_144)));
    expect(ok.result.type).toBe('completed');
    const bad = await turn(async (ctx) => {
      ctx.setCustomStatus('x'.repeat(262_145));
      return ctx.scheduleTimer(1);
    });
    expect(failureOf(bad)).toBe('Custom status size (262145 bytes) exceeds limit (262144 bytes)');
    expect(kinds(bad)).toEqual(['OrchestrationStarted', 'OrchestrationFailed']);
  });

  it('tags over 256 bytes and KV values over 64 KiB fail', async () => {
    const tag = await turn(async (ctx) => ctx.scheduleActivity('A').withTag('t'.repeat(257)));
    expect(failureOf(tag)).toBe("Activity 'A' tag size (257 bytes) exceeds limit (256 bytes)");
    const okTag = await turn(async (ctx) => ctx.scheduleActivity('A').withTag('t'.repeat(256)));
    expect(okTag.ack.workerItems[0]?.tag).toHaveLength(256);
    const kv = await turn(async (ctx) => ctx.setValue('big', 'v'.repeat(65_537)));
    expect(failureOf(kv)).toBe("KV value for key 'big' (65537 bytes) exceeds limit (65536 bytes)");
  });

  it('QUIRK fixed (§4.14 key count): keys set in earlier turns of the same execution count', async () => {
    const code = async (ctx: OrchestrationContext) => {
      for (let i = 0; i < 100; i++) ctx.setValue(`a${i}`, 'v');
      await ctx.scheduleTimer(1);
      for (let i = 0; i < 51; i++) ctx.setValue(`b${i}`, 'v');
      return ctx.scheduleTimer(1);
    };
    const first = await turn(code);
    expect(first.result).toEqual({ type: 'continue' });
    const timerId =
      first.ack.orchestratorItems[0]!.kind === 'TimerFired'
        ? (first.ack.orchestratorItems[0] as { id: number }).id
        : -1;
    const second = await turn(code, { history: first.history, messages: [msg.fired(timerId)] });
    expect(failureOf(second)).toBe(`KV key count (151) exceeds limit (${MAX_KV_KEYS})`);
    expect(second.ack.historyDelta.some((e) => e.kind === 'KeyValueSet')).toBe(false);
  });

  it('QUIRK fixed (§4.14 notification): a limit violation still notifies the parent, terminal event last', async () => {
    const sim = new Sim({
      Parent: async (ctx) =>
        ctx.scheduleSubOrchestration('Child').catch((e: Error) => `child failed: ${e.message}`),
      Child: async (ctx) => {
        ctx.setCustomStatus('y'.repeat(300_000));
        return 'never';
      },
    });
    sim.start('p', 'Parent');
    await sim.runToIdle();
    expect(sim.output('p')).toBe(
      'child failed: Custom status size (300000 bytes) exceeds limit (262144 bytes)',
    );
    expect(sim.history('p::sub::2').at(-1)?.kind).toBe('OrchestrationFailed');
  });
});
