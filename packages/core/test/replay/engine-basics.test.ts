import { describe, expect, it } from 'vitest';
import { HistoryBuilder, kinds, msg, T0, turn } from './builders.js';

describe('fresh execution (§9.23)', () => {
  it('completes immediately with a JSON output and records Started first, terminal last', async () => {
    const out = await turn(async (_ctx, input) => ({ echoed: input }), {
      messages: [msg.start('Orch', { a: 1 })],
    });
    expect(out.result).toEqual({ type: 'completed', output: '{"echoed":{"a":1}}' });
    expect(kinds(out)).toEqual(['OrchestrationStarted', 'OrchestrationCompleted']);
    expect(out.ack.historyDelta.map((e) => e.eventId)).toEqual([1, 2]);
    expect(out.ack.metadata).toMatchObject({
      status: 'Completed',
      output: '{"echoed":{"a":1}}',
      orchestrationName: 'Orch',
      orchestrationVersion: '1.0.0',
      pinnedDuroxideVersion: '0.1.0',
    });
  });

  it('fails immediately when the code throws an Error (Application/OrchestrationFailed)', async () => {
    const out = await turn(async () => {
      throw new Error('boom');
    });
    expect(out.result).toEqual({
      type: 'failed',
      details: {
        category: 'application',
        kind: { type: 'OrchestrationFailed' },
        message: 'boom',
        retryable: false,
      },
    });
    expect(out.ack.metadata.output).toBe('boom');
  });

  it('schedules an activity, a timer, a wait and a sub-orchestration with their work items', async () => {
    const out = await turn(async (ctx) => {
      const a = ctx.scheduleActivity('A', 1);
      const t = ctx.scheduleTimer(500);
      const w = ctx.waitForEvent('Go');
      const s = ctx.scheduleSubOrchestration('Child', { x: 1 });
      return await ctx.all([a, t, w, s]);
    });
    expect(out.result).toEqual({ type: 'continue' });
    expect(kinds(out)).toEqual([
      'OrchestrationStarted',
      'ActivityScheduled',
      'TimerCreated',
      'ExternalSubscribed',
      'SubOrchestrationScheduled',
    ]);
    expect(out.ack.workerItems).toEqual([
      { kind: 'ActivityExecute', instance: 'i1', executionId: 1, id: 2, name: 'A', input: '1' },
    ]);
    expect(out.ack.orchestratorItems).toEqual([
      { kind: 'TimerFired', instance: 'i1', executionId: 1, id: 3, fireAtMs: T0 + 500 },
      {
        kind: 'StartOrchestration',
        instance: 'i1::sub::5',
        orchestration: 'Child',
        input: '{"x":1}',
        parentInstance: 'i1',
        parentId: 5,
        parentExecutionId: 1,
        executionId: 1,
      },
    ]);
  });

  it('records a continue-as-new without awaiting it', async () => {
    const out = await turn(
      async (ctx, n: number) => {
        void ctx.continueAsNew(n + 1);
        return 'ignored';
      },
      { messages: [msg.start('Orch', 1)] },
    );
    expect(out.result).toEqual({ type: 'continuedAsNew', input: '2', version: null });
    expect(kinds(out)).toEqual(['OrchestrationStarted', 'OrchestrationContinuedAsNew']);
    expect(out.ack.orchestratorItems[0]).toMatchObject({
      kind: 'ContinueAsNew',
      input: '2',
      orchestration: 'Orch',
    });
  });
});

describe('replay with completions (§9.24) and partial histories (§9.25)', () => {
  const seq = async (ctx: any) => {
    const a = await ctx.scheduleActivity('A', 'x');
    const b = await ctx.scheduleActivity('B', a);
    return b;
  };

  it('delivers a recorded completion and schedules the next step with the next id', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A', 'x');
    const out = await turn(seq, { history: h.events, messages: [msg.done(a, 'ra')] });
    expect(kinds(out)).toEqual(['ActivityCompleted', 'ActivityScheduled']);
    expect(out.ack.historyDelta.map((e) => e.eventId)).toEqual([3, 4]);
    expect(out.ack.workerItems).toEqual([
      { kind: 'ActivityExecute', instance: 'i1', executionId: 1, id: 4, name: 'B', input: '"ra"' },
    ]);
  });

  it('replays a complete history and completes without new work', async () => {
    const h = new HistoryBuilder();
    h.started();
    h.completed(h.activity('A', 'x'), 'ra');
    const b = h.activity('B', 'ra');
    const out = await turn(seq, { history: h.events, messages: [msg.done(b, 'rb')] });
    expect(out.result).toEqual({ type: 'completed', output: '"rb"' });
    expect(out.ack.workerItems).toEqual([]);
  });

  it('stays pending with no new actions when the scheduled step has not completed', async () => {
    const h = new HistoryBuilder();
    h.started();
    h.activity('A', 'x');
    const out = await turn(seq, { history: h.events, messages: [] });
    expect(out.result).toEqual({ type: 'continue' });
    expect(out.ack.historyDelta).toEqual([]);
    expect(out.ack.workerItems).toEqual([]);
  });

  it('delivers activity failures as ActivityFailedError with the display message', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A', 'x');
    const out = await turn(
      async (ctx) => {
        try {
          await ctx.scheduleActivity('A', 'x');
          return 'no';
        } catch (e) {
          return {
            name: (e as Error).name,
            message: (e as Error).message,
            code: (e as { code: string }).code,
          };
        }
      },
      { history: h.events, messages: [msg.fail(a, 'bad input')] },
    );
    expect(out.result).toEqual({
      type: 'completed',
      output: JSON.stringify({ name: 'ActivityFailedError', message: 'bad input', code: 'ACTIVITY_FAILED' }),
    });
  });

  it('delivers timers, external events and sub-orchestration results', async () => {
    const h = new HistoryBuilder();
    h.started();
    const t = h.timer();
    h.fired(t);
    h.subscribe('Go');
    h.external('Go', { v: 7 });
    const s = h.sub('Child', 1);
    const out = await turn(
      async (ctx) => {
        const timer = await ctx.scheduleTimer(1000);
        const ev = await ctx.waitForEvent('Go');
        const child = await ctx.scheduleSubOrchestration('Child', 1);
        return { timer, ev, child };
      },
      { history: h.events, messages: [msg.subDone(s, 'kid')] },
    );
    expect(out.result).toEqual({ type: 'completed', output: '{"timer":null,"ev":{"v":7},"child":"kid"}' });
  });
});

describe('event id allocation (§9.26)', () => {
  it('continues after gaps in history ids and assigns pending actions their ids', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.add({ kind: 'ActivityScheduled', name: 'A', input: 'null' }, null, 5);
    h.add({ kind: 'ActivityCompleted', result: '1' }, a, 9);
    const out = await turn(
      async (ctx) => {
        await ctx.scheduleActivity('A');
        const t = ctx.scheduleTimer(1);
        const b = ctx.scheduleActivity('B');
        return await ctx.all([t, b]);
      },
      { history: h.events, messages: [] },
    );
    expect(out.ack.historyDelta.map((e) => [e.eventId, e.kind])).toEqual([
      [10, 'TimerCreated'],
      [11, 'ActivityScheduled'],
    ]);
    expect(out.ack.workerItems[0]?.id).toBe(11);
  });

  it('lets continue-as-new consume an id without an event (gap before the terminal event)', async () => {
    const out = await turn(async (ctx) => {
      ctx.setCustomStatus('s');
      return ctx.continueAsNew('next');
    });
    expect(out.ack.historyDelta.map((e) => [e.eventId, e.kind])).toEqual([
      [1, 'OrchestrationStarted'],
      [2, 'CustomStatusUpdated'],
      [4, 'OrchestrationContinuedAsNew'],
    ]);
  });
});

describe('isReplaying (§9.33) and replay-silent tracing', () => {
  it('is never true on the first execution turn', async () => {
    const seen: boolean[] = [];
    await turn(async (ctx) => {
      seen.push(ctx.isReplaying);
      await ctx.scheduleTimer(1);
    });
    expect(seen).toEqual([false]);
  });

  it('is true while re-running persisted steps and false once the code reaches new history', async () => {
    const h = new HistoryBuilder();
    h.started();
    h.completed(h.activity('A'), 1);
    h.completed(h.activity('B'), 2);
    const c = h.activity('C');
    const seen: string[] = [];
    const traces: string[] = [];
    await turn(
      async (ctx) => {
        seen.push(`start:${ctx.isReplaying}`);
        ctx.traceInfo('start');
        await ctx.scheduleActivity('A');
        seen.push(`a:${ctx.isReplaying}`);
        await ctx.scheduleActivity('B');
        seen.push(`b:${ctx.isReplaying}`);
        await ctx.scheduleActivity('C');
        seen.push(`c:${ctx.isReplaying}`);
        ctx.traceWarn('after c');
        await ctx.scheduleTimer(5);
      },
      { history: h.events, messages: [msg.done(c, 3)], traces },
    );
    expect(seen).toEqual(['start:true', 'a:true', 'b:true', 'c:false']);
    expect(traces).toEqual(['warn:after c']);
  });

  it('QUIRK fixed (§4.7): code reacting to the last persisted completion is replaying, so its trace is not repeated', async () => {
    const h = new HistoryBuilder();
    h.started();
    const a = h.activity('A');
    const t = h.timer();
    h.completed(a, 1);
    const seen: string[] = [];
    const traces: string[] = [];
    await turn(
      async (ctx) => {
        const block = (async () => {
          await ctx.scheduleActivity('A');
          seen.push(`after a:${ctx.isReplaying}`);
          ctx.traceInfo('after a');
        })();
        await ctx.all([block, ctx.scheduleTimer(1000)]);
        seen.push(`after all:${ctx.isReplaying}`);
        ctx.traceInfo('after all');
        await ctx.waitForEvent('E');
      },
      { history: h.events, messages: [msg.fired(t)], traces },
    );
    expect(seen).toEqual(['after a:true', 'after all:false']);
    expect(traces).toEqual(['info:after all']);
  });
});

describe('sub-orchestration ids (§9.34)', () => {
  it('uses <parent>::sub::<eventId>, stable across replay, and explicit ids verbatim', async () => {
    const code = async (ctx: any) => {
      const a = ctx.scheduleSubOrchestration('Child', 1);
      const b = ctx.scheduleSubOrchestrationWithId('Child', 'explicit-id', 2);
      const c = ctx.scheduleSubOrchestration('Child', 3, { instanceId: 'other', version: '2.0.0' });
      return await ctx.all([a, b, c]);
    };
    const first = await turn(code);
    const starts = first.ack.orchestratorItems.filter((i) => i.kind === 'StartOrchestration');
    expect(starts.map((s) => s.instance)).toEqual(['i1::sub::2', 'explicit-id', 'other']);
    expect(starts[2]).toMatchObject({ version: '2.0.0', parentId: 4 });
    const replay = await turn(code, {
      history: first.history,
      messages: [msg.subDone(2, 'x'), msg.subDone(3, 'y'), msg.subDone(4, 'z')],
    });
    expect(replay.result).toEqual({
      type: 'completed',
      output: '[{"ok":"x"},{"ok":"y"},{"ok":"z"}]',
    });
  });

  it('surfaces application child failures as SubOrchestrationFailedError', async () => {
    const h = new HistoryBuilder();
    h.started();
    const s = h.sub('Child');
    const out = await turn(
      async (ctx) => {
        try {
          return await ctx.scheduleSubOrchestration('Child');
        } catch (e) {
          return `${(e as Error).name}:${(e as Error).message}`;
        }
      },
      {
        history: h.events,
        messages: [
          msg.subFail(s, {
            category: 'application',
            kind: { type: 'Cancelled', reason: 'r' },
            message: '',
            retryable: false,
          }),
        ],
      },
    );
    expect(out.result).toEqual({ type: 'completed', output: '"SubOrchestrationFailedError:canceled: r"' });
  });
});

describe('detached orchestrations', () => {
  it('records OrchestrationChained, starts a root instance and honors it on a terminal turn', async () => {
    const out = await turn(async (ctx) => {
      const r = await ctx.startOrchestration('Other', 'other-1', { k: 1 });
      return r;
    });
    expect(kinds(out)).toEqual(['OrchestrationStarted', 'OrchestrationChained', 'OrchestrationCompleted']);
    expect(out.ack.orchestratorItems).toEqual([
      {
        kind: 'StartOrchestration',
        instance: 'other-1',
        orchestration: 'Other',
        input: '{"k":1}',
        executionId: 1,
      },
    ]);
    expect(out.result).toEqual({ type: 'completed', output: 'null' });
  });
});
