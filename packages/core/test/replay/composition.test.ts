import type { OrchestrationContext } from '@duroxide/core';
import { describe, expect, it } from 'vitest';
import { HistoryBuilder, kinds, msg, turn } from './builders.js';
import { Sim } from './sim.js';

const raceAT = async (ctx: OrchestrationContext) => {
  const r = await ctx.race(ctx.scheduleActivity('A'), ctx.scheduleTimer(1000));
  return r;
};

describe('race (§9.27, §9.35)', () => {
  it('the member completing first in history wins, even when both complete in the same batch', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const t = h.timer();
    const timerFirst = await turn(raceAT, { history: h.events, messages: [msg.fired(t), msg.done(a, 'x')] });
    expect(timerFirst.result).toEqual({ type: 'completed', output: '{"index":1,"value":null}' });
    const activityFirst = await turn(raceAT, {
      history: h.events,
      messages: [msg.done(a, 'x'), msg.fired(t)],
    });
    expect(activityFirst.result).toEqual({ type: 'completed', output: '{"index":0,"value":"x"}' });
  });

  it('cancels a losing activity with ActivityCancelRequested(dropped_future) and deletes its work item', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const t = h.timer();
    const out = await turn(
      async (ctx) => {
        const r = await ctx.race(ctx.scheduleActivity('A'), ctx.scheduleTimer(1000));
        await ctx.scheduleTimer(5);
        return r.index;
      },
      { history: h.events, messages: [msg.fired(t)] },
    );
    expect(kinds(out)).toEqual(['TimerFired', 'TimerCreated', 'ActivityCancelRequested']);
    const crumb = out.ack.historyDelta[2]!;
    expect(crumb).toMatchObject({ sourceEventId: a, reason: 'dropped_future' });
    expect(out.ack.cancelledActivities).toEqual([{ instance: 'i1', executionId: 1, activityId: a }]);
  });

  it('a losing timer leaves no breadcrumb; a losing sub-orchestration is cancelled with CancelInstance', async () => {
    const h = new HistoryBuilder();
    h.started();
    const s = h.sub('Child');
    h.timer();
    const out = await turn(
      async (ctx) => {
        const r = await ctx.race(ctx.scheduleSubOrchestration('Child'), ctx.scheduleTimer(1000));
        return r.index;
      },
      { history: h.events, messages: [msg.subDone(s, 'c')] },
    );
    expect(kinds(out)).toEqual(['SubOrchestrationCompleted', 'OrchestrationCompleted']);
    const h2 = new HistoryBuilder();
    h2.started();
    h2.sub('Child');
    const t2 = h2.timer();
    const lost = await turn(
      async (ctx) => {
        const r = await ctx.race(ctx.scheduleSubOrchestration('Child'), ctx.scheduleTimer(1000));
        await ctx.waitForEvent('never');
        return r.index;
      },
      { history: h2.events, messages: [msg.fired(t2)] },
    );
    expect(kinds(lost)).toEqual(['TimerFired', 'ExternalSubscribed', 'SubOrchestrationCancelRequested']);
    expect(lost.ack.orchestratorItems).toEqual([
      { kind: 'CancelInstance', instance: 'i1::sub::2', reason: 'parent dropped sub-orchestration future' },
    ]);
  });

  it('accepts any number of members and the array form; a failed winner rejects', async () => {
    const h = new HistoryBuilder();
    h.started();
    const ids = [h.activity('A'), h.activity('B'), h.activity('C')];
    const out = await turn(
      async (ctx) => {
        try {
          await ctx.race([ctx.scheduleActivity('A'), ctx.scheduleActivity('B'), ctx.scheduleActivity('C')]);
          return 'no';
        } catch (e) {
          return (e as Error).message;
        }
      },
      { history: h.events, messages: [msg.fail(ids[1]!, 'b broke'), msg.done(ids[0]!, 1)] },
    );
    expect(out.result).toEqual({ type: 'completed', output: '"b broke"' });
    const crumbs = out.ack.historyDelta.filter((e) => e.kind === 'ActivityCancelRequested');
    expect(crumbs.map((e) => [e.sourceEventId, 'reason' in e && e.reason])).toEqual([
      [ids[0], 'dropped_future'],
      [ids[2], 'dropped_future'],
    ]);
  });

  it('replay reproduces the same cancellations without new side effects', async () => {
    const code = async (ctx: OrchestrationContext) => {
      const r = await ctx.race(ctx.scheduleActivity('A'), ctx.scheduleTimer(1000));
      const next = await ctx.scheduleActivity('B', r.index);
      return next;
    };
    const sim = new Sim({ Orch: code }, { B: (i: number) => i * 10 });
    sim.start('i1', 'Orch');
    await sim.turn('i1');
    sim.worker = [];
    sim.nowMs += 1000;
    const second = await sim.turn('i1');
    expect(second?.ack.cancelledActivities).toEqual([{ instance: 'i1', executionId: 1, activityId: 2 }]);
    await sim.runToIdle();
    expect(sim.output('i1')).toBe(10);
    const last = sim.outcomes.at(-1)!.outcome;
    expect(last.ack.cancelledActivities).toEqual([]);
    expect(last.ack.orchestratorItems).toEqual([]);
    expect(sim.history('i1').filter((e) => e.kind === 'ActivityCancelRequested')).toHaveLength(1);
  });

  it('tolerates a completion arriving after the cancel request', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const t = h.timer();
    h.fired(t);
    h.add({ kind: 'ActivityCancelRequested', reason: 'dropped_future' }, a);
    const w = h.subscribe('go');
    const out = await turn(
      async (ctx) => {
        await ctx.race(ctx.scheduleActivity('A'), ctx.scheduleTimer(1000));
        return await ctx.waitForEvent('go');
      },
      { history: h.events, messages: [msg.done(a, 'late'), msg.raise('go', 'ok')] },
    );
    expect(w).toBeGreaterThan(0);
    expect(out.result).toEqual({ type: 'completed', output: '"ok"' });
  });

  it('removing a recorded drop is nondeterminism', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const t = h.timer();
    h.fired(t);
    h.add({ kind: 'ActivityCancelRequested', reason: 'dropped_future' }, a);
    h.subscribe('go');
    const out = await turn(
      async (ctx) => {
        const act = ctx.scheduleActivity('A');
        await ctx.scheduleTimer(1000);
        await ctx.waitForEvent('go');
        return act;
      },
      { history: h.events, messages: [] },
    );
    expect(out.result.type).toBe('failed');
    expect(JSON.stringify(out.result)).toContain('cancellation mismatch (activities)');
  });

  it('external waits and queue dequeues that lose get their breadcrumbs; a cancelled wait does not steal a later event', async () => {
    const code = async (ctx: OrchestrationContext) => {
      const first = await ctx.race(ctx.waitForEvent('E'), ctx.dequeueEvent('Q'), ctx.scheduleTimer(10));
      const second = await ctx.waitForEvent('E');
      return [first.index, second];
    };
    const sim = new Sim({ Orch: code });
    sim.start('i1', 'Orch');
    await sim.runToIdle();
    sim.raise('i1', 'E', 'for-second');
    await sim.runToIdle();
    expect(sim.output('i1')).toEqual([2, 'for-second']);
    const crumbs = sim
      .history('i1')
      .filter((e) => e.kind.endsWith('Cancelled') && 'reason' in e && e.reason === 'dropped_future');
    expect(crumbs.map((e) => e.kind)).toEqual(['ExternalSubscribedCancelled', 'QueueSubscriptionCancelled']);
  });
});

describe('all (§9.27)', () => {
  it('returns {ok}/{err} in input order regardless of completion order and never throws', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const b = h.activity('B');
    const c = h.timer();
    const code = async (ctx: OrchestrationContext) =>
      ctx.all([ctx.scheduleActivity('A'), ctx.scheduleActivity('B'), ctx.scheduleTimer(1000)]);
    const partial = await turn(code, { history: h.events, messages: [msg.done(b, 'rb')] });
    expect(partial.result).toEqual({ type: 'continue' });
    const done = await turn(code, {
      history: h.events,
      messages: [msg.fired(c), msg.fail(a, 'nope'), msg.done(b, 'rb')],
    });
    expect(done.result).toEqual({ type: 'completed', output: '[{"err":"nope"},{"ok":"rb"},{"ok":null}]' });
  });

  it('resolves with [] for no members and nests inside race', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const b = h.activity('B');
    h.timer();
    const out = await turn(
      async (ctx) => {
        const empty = await ctx.all([]);
        const r = await ctx.race(
          ctx.all([ctx.scheduleActivity('A'), ctx.scheduleActivity('B')]),
          ctx.scheduleTimer(1000),
        );
        return { empty, r };
      },
      { history: h.events, messages: [msg.done(b, 2), msg.done(a, 1)] },
    );
    expect(out.result).toEqual({
      type: 'completed',
      output: '{"empty":[],"r":{"index":0,"value":[{"ok":1},{"ok":2}]}}',
    });
  });
});

describe('native Promise.all / Promise.race follow history order', () => {
  it('Promise.race picks the member delivered first in history', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const b = h.activity('B');
    const code = async (ctx: OrchestrationContext) =>
      Promise.race([ctx.scheduleActivity('A'), ctx.scheduleActivity('B')]);
    const bFirst = await turn(code, { history: h.events, messages: [msg.done(b, 'b'), msg.done(a, 'a')] });
    expect(bFirst.result).toEqual({ type: 'completed', output: '"b"' });
    const aFirst = await turn(code, { history: h.events, messages: [msg.done(a, 'a'), msg.done(b, 'b')] });
    expect(aFirst.result).toEqual({ type: 'completed', output: '"a"' });
  });

  it('Promise.all keeps input order', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const b = h.activity('B');
    const out = await turn(
      async (ctx) => Promise.all([ctx.scheduleActivity('A'), ctx.scheduleActivity('B')]),
      {
        history: h.events,
        messages: [msg.done(b, 'b'), msg.done(a, 'a')],
      },
    );
    expect(out.result).toEqual({ type: 'completed', output: '["a","b"]' });
  });
});

describe('async blocks (§9.61)', () => {
  const block = async (ctx: OrchestrationContext) => {
    const x = await ctx.scheduleActivity('Step1');
    const y = await ctx.scheduleSubOrchestration('Child', x);
    return y;
  };

  it('a losing async block has its pending durable operations cancelled (sub-orchestration in flight)', async () => {
    const code = async (ctx: OrchestrationContext) => {
      const r = await ctx.race(block(ctx), ctx.scheduleTimer(1000));
      await ctx.scheduleActivity('After', r.index);
      return r.index;
    };
    const sim = new Sim(
      { Orch: code, Child: async (c) => c.waitForEvent('never') },
      { Step1: () => 's1', After: (i) => i },
    );
    sim.start('i1', 'Orch');
    await sim.runToIdle();
    expect(sim.output('i1')).toBe(1);
    const h = sim.history('i1');
    expect(h.filter((e) => e.kind === 'SubOrchestrationCancelRequested')).toHaveLength(1);
    const childId = h.find((e) => e.kind === 'SubOrchestrationScheduled');
    expect(childId?.kind === 'SubOrchestrationScheduled' && childId.instance).toBe(
      `i1::sub::${childId?.eventId}`,
    );
    expect(sim.history(`i1::sub::${childId?.eventId}`).at(-1)).toMatchObject({
      kind: 'OrchestrationFailed',
      details: { kind: { type: 'Cancelled', reason: 'parent dropped sub-orchestration future' } },
    });
  });

  it('a losing block awaiting its first activity gets that activity cancelled; a winning block returns its value', async () => {
    const h = new HistoryBuilder();
    h.started();
    h.activity('Unrelated');
    const s1 = h.activity('Step1');
    const t = h.timer();
    const code = async (ctx: OrchestrationContext) => {
      const other = ctx.scheduleActivity('Unrelated');
      const r = await ctx.race(block(ctx), ctx.scheduleTimer(1000));
      const o = await other;
      return [r.index, o];
    };
    const out = await turn(code, { history: h.events, messages: [msg.fired(t)] });
    const crumbs = out.ack.historyDelta.filter((e) => e.kind === 'ActivityCancelRequested');
    expect(crumbs.map((e) => e.sourceEventId)).toEqual([s1]);
    expect(out.result).toEqual({ type: 'continue' });
  });

  it('blocks compose inside all and nested race, and results follow history order', async () => {
    const sim = new Sim(
      {
        Orch: async (ctx) => {
          const twoSteps = async (tag: string) => {
            const a = await ctx.scheduleActivity('Echo', `${tag}1`);
            const b = await ctx.scheduleActivity('Echo', `${tag}2`);
            return a + b;
          };
          const all = await ctx.all([
            twoSteps('x'),
            twoSteps('y'),
            ctx.race(twoSteps('z'), ctx.scheduleTimer(60_000)),
          ]);
          return all;
        },
      },
      { Echo: (s: string) => s },
    );
    sim.start('i1', 'Orch');
    await sim.runToIdle();
    expect(sim.output('i1')).toEqual([{ ok: 'x1x2' }, { ok: 'y1y2' }, { ok: { index: 0, value: 'z1z2' } }]);
  });

  it('cancel() on a task records its breadcrumb; cancel() on a composite cancels its members', async () => {
    const out = await turn(async (ctx) => {
      const a = ctx.scheduleActivity('A');
      const both = ctx.all([ctx.scheduleActivity('B'), ctx.waitForEvent('E')]);
      a.cancel();
      both.cancel();
      return await ctx.scheduleTimer(1);
    });
    expect(kinds(out)).toEqual([
      'OrchestrationStarted',
      'ActivityScheduled',
      'ActivityScheduled',
      'ExternalSubscribed',
      'TimerCreated',
      'ActivityCancelRequested',
      'ActivityCancelRequested',
      'ExternalSubscribedCancelled',
    ]);
    expect(out.ack.workerItems.map((w) => w.name)).toEqual(['A', 'B']);
    expect(out.ack.cancelledActivities.map((c) => c.activityId)).toEqual([2, 3]);
  });
});
