import { describe, expect, it } from 'vitest';
import { HistoryBuilder, kinds, msg, turn } from './builders.js';
import { Sim } from './sim.js';

const waitA = async (ctx: any) => ctx.scheduleActivity('A');

describe('instance cancellation (§9.28, §4.6)', () => {
  it('a CancelInstance message fails the turn as canceled and cancels in-flight activities', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const out = await turn(waitA, { history: h.events, messages: [msg.cancel('user asked')] });
    expect(out.result).toEqual({ type: 'cancelled', reason: 'user asked' });
    expect(kinds(out)).toEqual([
      'OrchestrationCancelRequested',
      'ActivityCancelRequested',
      'OrchestrationFailed',
    ]);
    expect(out.ack.historyDelta[1]).toMatchObject({
      sourceEventId: a,
      reason: 'orchestration_terminal_failed',
    });
    expect(out.ack.metadata).toMatchObject({ status: 'Failed', output: 'canceled: user asked' });
    expect(out.ack.cancelledActivities).toEqual([{ instance: 'i1', executionId: 1, activityId: a }]);
  });

  it('a cancel request recorded in history also cancels', async () => {
    const h = new HistoryBuilder();
    h.started();
    h.activity('A');
    h.add({ kind: 'OrchestrationCancelRequested', reason: 'earlier' });
    const out = await turn(waitA, { history: h.events, messages: [] });
    expect(out.result).toEqual({ type: 'cancelled', reason: 'earlier' });
  });

  it('cancel beats a completion in the same turn', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const out = await turn(waitA, { history: h.events, messages: [msg.done(a, 1), msg.cancel()] });
    expect(out.result).toEqual({ type: 'cancelled', reason: 'stop' });
    expect(out.ack.historyDelta.at(-1)?.kind).toBe('OrchestrationFailed');
  });

  it('a duplicate cancel is filtered; a cancel batched with the start still cancels', async () => {
    const h = new HistoryBuilder();
    h.started();
    h.activity('A');
    const out = await turn(waitA, { history: h.events, messages: [msg.cancel('one'), msg.cancel('two')] });
    expect(kinds(out).filter((k) => k === 'OrchestrationCancelRequested')).toHaveLength(1);
    expect(out.dropped.map((d) => d.reason)).toEqual(['cancel already requested']);
    const atStart = await turn(waitA, { messages: [msg.start(), msg.cancel('early')] });
    expect(atStart.result).toEqual({ type: 'cancelled', reason: 'early' });
  });

  it('cancelling a parent cancels outstanding children and the child reports canceled to the parent', async () => {
    const sim = new Sim({
      Parent: async (ctx) => {
        try {
          return await ctx.scheduleSubOrchestration('Child');
        } catch (e) {
          return (e as Error).message;
        }
      },
      Child: async (ctx) => ctx.waitForEvent('never'),
    });
    sim.start('p', 'Parent');
    await sim.runToIdle();
    sim.enqueue({ kind: 'CancelInstance', instance: 'p', reason: 'halt' });
    await sim.runToIdle();
    expect(sim.terminal('p')).toMatchObject({ details: { kind: { type: 'Cancelled', reason: 'halt' } } });
    expect(sim.terminal('p::sub::2')).toMatchObject({
      details: { kind: { type: 'Cancelled', reason: 'parent canceled' } },
    });
  });

  it('a child cancelled directly surfaces as canceled: to the parent code', async () => {
    const sim = new Sim({
      Parent: async (ctx) => {
        try {
          return await ctx.scheduleSubOrchestration('Child');
        } catch (e) {
          return (e as Error).message;
        }
      },
      Child: async (ctx) => ctx.waitForEvent('never'),
    });
    sim.start('p', 'Parent');
    await sim.runToIdle();
    sim.enqueue({ kind: 'CancelInstance', instance: 'p::sub::2', reason: 'kid stop' });
    await sim.runToIdle();
    expect(sim.output('p')).toBe('canceled: kid stop');
  });
});

describe('completion filtering (§9.29)', () => {
  it('drops a duplicate of a persisted completion and a duplicate within the batch', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const b = h.activity('B');
    h.completed(a, 1);
    const out = await turn(async (ctx) => ctx.all([ctx.scheduleActivity('A'), ctx.scheduleActivity('B')]), {
      history: h.events,
      messages: [msg.done(a, 99), msg.done(b, 2), msg.done(b, 3)],
    });
    expect(out.result).toEqual({ type: 'completed', output: '[{"ok":1},{"ok":2}]' });
    expect(out.dropped.map((d) => d.reason)).toEqual([
      `duplicate completion for id=${a}`,
      `duplicate completion for id=${b}`,
    ]);
  });

  it('QUIRK fixed (§4.2 dedupe): a failure after a completion of the same source is dropped, not nondeterminism', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    h.completed(a, 1);
    const t = h.timer();
    const out = await turn(
      async (ctx) => {
        await ctx.scheduleActivity('A');
        await ctx.scheduleTimer(1000);
        return 'ok';
      },
      { history: h.events, messages: [msg.fail(a, 'late failure'), msg.fired(t)] },
    );
    expect(out.result).toEqual({ type: 'completed', output: '"ok"' });
    expect(out.dropped).toHaveLength(1);
    const failedFirst = new HistoryBuilder();
    failedFirst.started();
    const f = failedFirst.activity('A');
    failedFirst.failed(f, 'x');
    const again = await turn(async (ctx) => ctx.scheduleActivity('A').catch(() => 'handled'), {
      history: failedFirst.events,
      messages: [msg.fail(f, 'dup failure'), msg.done(f, 'dup success')],
    });
    expect(again.dropped).toHaveLength(2);
    expect(again.result).toEqual({ type: 'completed', output: '"handled"' });
  });

  it('drops completions for another execution', async () => {
    const h = new HistoryBuilder('i1', 2);
    h.started();
    const a = h.activity('A');
    const out = await turn(waitA, {
      history: h.events,
      executionId: 2,
      messages: [msg.done(a, 'old', 1), msg.fired(a, 3), msg.subDone(a, 'x', 1)],
    });
    expect(out.result).toEqual({ type: 'continue' });
    expect(out.dropped).toHaveLength(3);
    expect(out.ack.historyDelta).toEqual([]);
  });

  it('keeps duplicate external events (each is a separate arrival)', async () => {
    const h = new HistoryBuilder();
    h.started();
    h.subscribe('E');
    h.subscribe('E');
    const out = await turn(async (ctx) => ctx.all([ctx.waitForEvent('E'), ctx.waitForEvent('E')]), {
      history: h.events,
      messages: [msg.raise('E', 'same'), msg.raise('E', 'same')],
    });
    expect(kinds(out)).toEqual(['ExternalEvent', 'ExternalEvent', 'OrchestrationCompleted']);
    expect(out.result).toEqual({ type: 'completed', output: '[{"ok":"same"},{"ok":"same"}]' });
  });

  it('an event raised before its subscription is recorded and never delivered; queues buffer instead', async () => {
    const sim = new Sim({
      Orch: async (ctx) => {
        await ctx.scheduleTimer(10);
        const q = await ctx.dequeueEvent('Q');
        const r = await ctx.race(ctx.waitForEvent('E'), ctx.scheduleTimer(10));
        return [q, r.index];
      },
    });
    sim.start('i1', 'Orch');
    await sim.turn('i1');
    sim.raise('i1', 'E', 'too early');
    sim.enqueue({ kind: 'QueueMessage', instance: 'i1', name: 'Q', data: '"buffered"' });
    await sim.runToIdle();
    expect(sim.output('i1')).toEqual(['buffered', 1]);
  });
});

describe('failure handling (§9.37)', () => {
  it('application errors reach code; infrastructure and poison errors fail the instance with the same details', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const infra = {
      category: 'infrastructure',
      operation: 'op',
      message: 'db down',
      retryable: false,
    } as const;
    const out = await turn(async (ctx) => ctx.scheduleActivity('A').catch(() => 'caught'), {
      history: h.events,
      messages: [msg.fail(a, infra)],
    });
    expect(out.result).toEqual({ type: 'failed', details: infra });
    expect(kinds(out)).toEqual(['ActivityFailed', 'OrchestrationFailed']);
    const s = new HistoryBuilder();
    s.started();
    const child = s.sub('Child');
    const poison = {
      category: 'poison',
      attemptCount: 5,
      maxAttempts: 3,
      messageType: { type: 'Orchestration', instance: 'c', executionId: 1 },
      message: 'm',
    } as const;
    const sub = await turn(async (ctx) => ctx.scheduleSubOrchestration('Child').catch(() => 'caught'), {
      history: s.events,
      messages: [msg.subFail(child, poison)],
    });
    expect(sub.result).toEqual({ type: 'failed', details: poison });
  });

  it('panics: programming errors and non-Error throws are Application/Panicked', async () => {
    const typeError = await turn(
      async (ctx) => {
        await ctx.scheduleTimer(0);
        return (undefined as any).x;
      },
      {
        history: (() => {
          const h = new HistoryBuilder();
          h.started();
          h.fired(h.timer());
          return h.events;
        })(),
        messages: [],
      },
    );
    expect(typeError.result).toMatchObject({ type: 'failed', details: { kind: { type: 'Panicked' } } });
    expect(typeError.ack.metadata.output).toMatch(/^orchestration panicked: /);
    const str = await turn(async () => {
      throw 'plain string';
    });
    expect(str.ack.metadata.output).toBe('orchestration panicked: plain string');
    const sync = await turn((() => {
      throw new RangeError('sync');
    }) as any);
    expect(sync.ack.metadata.output).toBe('orchestration panicked: sync');
  });

  it('an unhandled ActivityFailedError fails the orchestration with its message', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const out = await turn(waitA, { history: h.events, messages: [msg.fail(a, 'activity broke')] });
    expect(out.result).toMatchObject({
      type: 'failed',
      details: { kind: { type: 'OrchestrationFailed' }, message: 'activity broke' },
    });
  });

  it('a non-JSON output fails with a message naming the problem', async () => {
    const out = await turn(async () => 10n as unknown);
    expect(out.ack.metadata.output).toMatch(/orchestration output is not JSON-serializable/);
  });
});
