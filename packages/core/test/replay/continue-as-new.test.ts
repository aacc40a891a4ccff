import { type Event, type OrchestrationItem, prepareTurn } from '@duroxide/core';
import { describe, expect, it } from 'vitest';
import { HistoryBuilder, kinds, msg, T0, turn } from './builders.js';
import { Sim } from './sim.js';

function item(history: Event[], messages: OrchestrationItem['messages'], executionId = 1): OrchestrationItem {
  return {
    instance: 'i1',
    orchestrationName: 'Orch',
    executionId,
    version: '1.0.0',
    history,
    messages,
    historyError: null,
    kvSnapshot: {},
  };
}

describe('prepareTurn (§5.3 steps 3–8)', () => {
  it('starts a new instance from the start message and ignores duplicate starts', () => {
    const p = prepareTurn(item([], [msg.start('Orch', 1, { version: '2.0.0' }), msg.start('Other', 2)]));
    expect(p).toMatchObject({
      type: 'run',
      orchestrationName: 'Orch',
      requestedVersion: '2.0.0',
      isNewExecution: true,
      executionId: 1,
    });
  });

  it('acks orphan completions of an unknown instance without running code', () => {
    const p = prepareTurn(item([], [msg.done(2, 'x')]));
    expect(p.type).toBe('ackOnly');
  });

  it('QUIRK fixed (§5.3 step 5): the version recorded in history wins over a duplicate start message', () => {
    const h = new HistoryBuilder();
    h.started('Orch', null);
    (h.events[0] as { version: string }).version = '1.5.0';
    const p = prepareTurn(item(h.events, [msg.start('Orch', null, { version: '9.9.9' })]));
    expect(p).toMatchObject({ type: 'run', requestedVersion: '1.5.0', isNewExecution: false });
  });

  it('a ContinuedAsNew execution without a ContinueAsNew message is a no-op', () => {
    const h = new HistoryBuilder();
    h.started();
    h.add({ kind: 'OrchestrationContinuedAsNew', input: '1' });
    expect(prepareTurn(item(h.events, [msg.raise('late', 1)])).type).toBe('ackOnly');
  });

  it('a ContinueAsNew message opens execution + 1 with carried queue messages first', () => {
    const h = new HistoryBuilder();
    h.started();
    h.add({ kind: 'OrchestrationContinuedAsNew', input: '5' });
    const p = prepareTurn(
      item(h.events, [
        msg.done(2, 'old'),
        {
          kind: 'ContinueAsNew',
          instance: 'i1',
          orchestration: 'Orch',
          input: '5',
          version: '3.0.0',
          carryForwardEvents: [['Q', '"m1"']],
          initialCustomStatus: 'st',
          parentInstance: 'parent',
          parentId: 7,
          parentExecutionId: 2,
        },
      ]),
    );
    expect(p).toMatchObject({ type: 'run', executionId: 2, requestedVersion: '3.0.0', isNewExecution: true });
    if (p.type !== 'run') return;
    expect((p.state as { messages: unknown[] }).messages[0]).toEqual({
      kind: 'QueueMessage',
      instance: 'i1',
      name: 'Q',
      data: '"m1"',
    });
  });
});

describe('continue-as-new (§5.15)', () => {
  it('loops across executions, carries custom status and unconsumed queue messages, and filters old completions', async () => {
    const sim = new Sim({
      Loop: async (ctx, n: number) => {
        if (n === 0) {
          ctx.setCustomStatus('started');
          await ctx.scheduleTimer(1);
          return ctx.continueAsNew(1);
        }
        const first = await ctx.dequeueEvent('Q');
        return { first, status: ctx.getCustomStatus(), exec: ctx.executionId };
      },
    });
    sim.start('i1', 'Loop', 0);
    await sim.turn('i1');
    sim.enqueue({ kind: 'QueueMessage', instance: 'i1', name: 'Q', data: '"carried"' });
    await sim.runToIdle();
    expect(sim.output('i1')).toEqual({ first: 'carried', status: 'started', exec: 2 });
    const second = sim.state('i1').executions[1]!;
    expect(second[0]).toMatchObject({
      kind: 'OrchestrationStarted',
      carryForwardEvents: [['Q', '"carried"']],
      initialCustomStatus: 'started',
    });
    expect(second[1]).toMatchObject({ kind: 'QueueEventDelivered', name: 'Q', eventId: 2 });
    const first = sim.state('i1').executions[0]!;
    expect(first.at(-1)?.kind).toBe('OrchestrationContinuedAsNew');
  });

  it('cancels in-flight activities with the continued_as_new reason before the terminal event', async () => {
    const out = await turn(async (ctx) => {
      void ctx.scheduleActivity('Pending');
      return ctx.continueAsNewVersioned('x', '2.0.0');
    });
    expect(kinds(out)).toEqual([
      'OrchestrationStarted',
      'ActivityScheduled',
      'ActivityCancelRequested',
      'OrchestrationContinuedAsNew',
    ]);
    expect(out.ack.historyDelta[2]).toMatchObject({ reason: 'orchestration_terminal_continued_as_new' });
    expect(out.ack.workerItems).toEqual([]);
    expect(out.result).toEqual({ type: 'continuedAsNew', input: '"x"', version: '2.0.0' });
    expect(out.ack.orchestratorItems).toEqual([
      {
        kind: 'ContinueAsNew',
        instance: 'i1',
        orchestration: 'Orch',
        input: '"x"',
        version: '2.0.0',
        carryForwardEvents: [],
      },
    ]);
  });

  it('carries at most 20 queue messages (the oldest)', async () => {
    const h = new HistoryBuilder();
    h.started();
    for (let i = 0; i < 25; i++) h.add({ kind: 'QueueEventDelivered', name: 'Q', data: String(i) });
    const t = h.timer();
    const out = await turn(
      async (ctx) => {
        await ctx.scheduleTimer(1);
        return ctx.continueAsNew(null);
      },
      { history: h.events, messages: [msg.fired(t)] },
    );
    const can = out.ack.orchestratorItems.find((i) => i.kind === 'ContinueAsNew');
    expect(can?.kind === 'ContinueAsNew' && can.carryForwardEvents.map(([, d]) => d)).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
  });

  it('QUIRK fixed (§5.14/§5.15 parent link): a child that continues as new still reports to its parent, with parentExecutionId carried explicitly', async () => {
    const sim = new Sim({
      Parent: async (ctx, n: number) => {
        if (n === 0) {
          await ctx.scheduleTimer(1);
          return ctx.continueAsNew(1);
        }
        return ctx.scheduleSubOrchestration('Child', 0);
      },
      Child: async (ctx, n: number) => {
        await ctx.scheduleTimer(1);
        if (n < 2) return ctx.continueAsNew(n + 1);
        return `child done after ${ctx.executionId} executions`;
      },
    });
    sim.start('p', 'Parent', 0);
    await sim.runToIdle();
    expect(sim.output('p')).toBe('child done after 3 executions');
    const childId = 'p::sub::2-2';
    const childStart = sim.state(childId).executions[2]![0];
    expect(childStart).toMatchObject({ parentInstance: 'p', parentId: 2, parentExecutionId: 2 });
  });

  it('QUIRK fixed (auto child ids across continue-as-new): every execution gets its own child, none is swallowed', async () => {
    const sim = new Sim({
      Parent: async (ctx, n: number) => {
        const got = await ctx.scheduleSubOrchestration('Child', n);
        if (n < 2) return ctx.continueAsNew(n + 1);
        return `last child said ${got}`;
      },
      Child: async (_ctx, n: number) => `child ${n}`,
    });
    sim.start('p', 'Parent', 0);
    await sim.runToIdle();
    expect(sim.output('p')).toBe('last child said child 2');
    expect(sim.output('p::sub::2')).toBe('child 0');
    expect(sim.output('p::sub::2-2')).toBe('child 1');
    expect(sim.output('p::sub::3-2')).toBe('child 2');
  });

  it('child results for a parent execution that ended are filtered by execution id', async () => {
    const h = new HistoryBuilder('i1', 2);
    h.started();
    h.sub('Child');
    const out = await turn(async (ctx) => ctx.scheduleSubOrchestration('Child'), {
      history: h.events,
      executionId: 2,
      messages: [msg.subDone(2, 'from old execution', 1)],
    });
    expect(out.dropped[0]?.reason).toBe('completion for execution 1, current is 2');
    expect(out.result).toEqual({ type: 'continue' });
  });

  it('terminal events are last (QUIRK fixed §4.12/§4.13): cancellation breadcrumbs precede the terminal event', async () => {
    const out = await turn(
      async (ctx) => {
        void ctx.waitForEvent('E');
        void ctx.dequeueEvent('Q');
        const slow = ctx.scheduleActivity('Slow');
        void slow;
        return 'early';
      },
      { nowMs: T0 },
    );
    const delta = kinds(out);
    expect(delta.at(-1)).toBe('OrchestrationCompleted');
    expect(delta).toEqual([
      'OrchestrationStarted',
      'ExternalSubscribed',
      'QueueSubscribed',
      'ActivityScheduled',
      'ExternalSubscribedCancelled',
      'QueueSubscriptionCancelled',
      'ActivityCancelRequested',
      'OrchestrationCompleted',
    ]);
  });

  it('OrchestrationFailed events carry the real instance and execution ids (QUIRK fixed §2.1)', async () => {
    const h = new HistoryBuilder('i1', 3);
    h.started();
    const out = await turn(
      async () => {
        throw new Error('x');
      },
      { history: h.events, executionId: 3, messages: [msg.raise('poke', 1)] },
    );
    expect(out.ack.historyDelta.at(-1)).toMatchObject({
      kind: 'OrchestrationFailed',
      instanceId: 'i1',
      executionId: 3,
    });
  });
});
