import type { Event, OrchestrationContext } from '@duroxide/core';
import { describe, expect, it } from 'vitest';
import { failureOf, HistoryBuilder, msg, turn } from './builders.js';
import { Sim } from './sim.js';

type Code = (ctx: OrchestrationContext) => Promise<unknown>;

function history(build: (h: HistoryBuilder) => void): Event[] {
  const h = new HistoryBuilder();
  h.started();
  build(h);
  return h.events;
}

const cases: { name: string; history: Event[]; code: Code; expected: RegExp }[] = [
  {
    name: 'wrong kind (timer instead of activity)',
    history: history((h) => h.activity('A')),
    code: async (ctx) => ctx.scheduleTimer(1),
    expected:
      /schedule mismatch at event 2: history recorded ActivityScheduled\{name:"A", input:"null"\} but the code now did TimerCreated/,
  },
  {
    name: 'wrong activity name',
    history: history((h) => h.activity('A')),
    code: async (ctx) => ctx.scheduleActivity('B'),
    expected:
      /at event 2: history recorded ActivityScheduled\{name:"A".*code now did ActivityScheduled\{name:"B"/,
  },
  {
    name: 'wrong activity input',
    history: history((h) => h.activity('A', 1)),
    code: async (ctx) => ctx.scheduleActivity('A', 2),
    expected: /input:"1".*input:"2"/,
  },
  {
    name: 'session id changed',
    history: history((h) => h.activity('A', null, { sessionId: 's1' })),
    code: async (ctx) => ctx.scheduleActivityOnSession('A', null, 's2'),
    expected: /sessionId:"s1".*sessionId:"s2"/,
  },
  {
    name: 'tag changed',
    history: history((h) => h.activity('A', null, { tag: 'gpu' })),
    code: async (ctx) => ctx.scheduleActivity('A').withTag('cpu'),
    expected: /tag:"gpu".*tag:"cpu"/,
  },
  {
    name: 'tag removed',
    history: history((h) => h.activity('A', null, { tag: 'gpu' })),
    code: async (ctx) => ctx.scheduleActivity('A'),
    expected: /tag:"gpu"\} but the code now did ActivityScheduled\{name:"A", input:"null"\}/,
  },
  {
    name: 'external event name',
    history: history((h) => h.subscribe('E1')),
    code: async (ctx) => ctx.waitForEvent('E2'),
    expected: /ExternalSubscribed\{name:"E1"\}.*ExternalSubscribed\{name:"E2"\}/,
  },
  {
    name: 'queue name',
    history: history((h) => h.add({ kind: 'QueueSubscribed', name: 'Q1' })),
    code: async (ctx) => ctx.dequeueEvent('Q2'),
    expected: /QueueSubscribed\{name:"Q1"\}.*QueueSubscribed\{name:"Q2"\}/,
  },
  {
    name: 'sub-orchestration name',
    history: history((h) => h.sub('C1', 1)),
    code: async (ctx) => ctx.scheduleSubOrchestration('C2', 1),
    expected: /SubOrchestrationScheduled\{name:"C1".*SubOrchestrationScheduled\{name:"C2"/,
  },
  {
    name: 'sub-orchestration input',
    history: history((h) => h.sub('C', 1)),
    code: async (ctx) => ctx.scheduleSubOrchestration('C', 2),
    expected: /input:"1".*input:"2"/,
  },
  {
    name: 'detached name, instance or input',
    history: history((h) => h.add({ kind: 'OrchestrationChained', name: 'D', instance: 'd1', input: '1' })),
    code: async (ctx) => ctx.startOrchestration('D', 'd2', 1),
    expected: /OrchestrationChained\{name:"D", instance:"d1".*instance:"d2"/,
  },
  {
    name: 'missing action for a recorded schedule',
    history: history((h) => {
      h.completed(h.activity('A'), 1);
      h.activity('B');
    }),
    code: async (ctx) => {
      await ctx.scheduleActivity('A');
      return ctx.waitForEvent('x');
    },
    expected: /schedule mismatch at event 4: history recorded ActivityScheduled\{name:"B"/,
  },
  {
    name: 'history schedule but no emitted action',
    history: history((h) => {
      h.completed(h.activity('A'), 1);
      h.activity('B');
    }),
    code: async (ctx) => {
      await ctx.scheduleActivity('A');
      await ctx.all([ctx.scheduleActivity('Z')]);
    },
    expected: /schedule mismatch at event 4/,
  },
  {
    name: 'kv set value changed',
    history: history((h) => h.add({ kind: 'KeyValueSet', key: 'k', value: 'v1', lastUpdatedAtMs: 1 })),
    code: async (ctx) => {
      ctx.setValue('k', 'v2');
      return ctx.waitForEvent('x');
    },
    expected:
      /kv set mismatch at event 2: history recorded KeyValueSet\{key:"k", value:"v1"\} but the code now did KeyValueSet\{key:"k", value:"v2"\}/,
  },
  {
    name: 'kv clear key changed',
    history: history((h) => h.add({ kind: 'KeyValueCleared', key: 'a' })),
    code: async (ctx) => {
      ctx.clearValue('b');
      return ctx.waitForEvent('x');
    },
    expected: /kv clear mismatch at event 2/,
  },
  {
    name: 'kv clear-all replaced by a set',
    history: history((h) => h.add({ kind: 'KeyValuesCleared' })),
    code: async (ctx) => {
      ctx.setValue('a', 'b');
      return ctx.waitForEvent('x');
    },
    expected: /kv clear_all mismatch at event 2/,
  },
  {
    name: 'custom status replaced by an activity',
    history: history((h) => h.add({ kind: 'CustomStatusUpdated', status: 's' })),
    code: async (ctx) => ctx.scheduleActivity('A'),
    expected:
      /custom status mismatch at event 2: history recorded CustomStatusUpdated but the code now did ActivityScheduled/,
  },
  {
    name: 'status update where history has an activity',
    history: history((h) => h.activity('A')),
    code: async (ctx) => {
      ctx.setCustomStatus('x');
      return ctx.scheduleActivity('A');
    },
    expected: /schedule mismatch at event 2: history recorded ActivityScheduled.*CustomStatusUpdated/,
  },
];

describe('nondeterminism (§9.30): every mismatch kind names position, history and code', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const out = await turn(c.code as never, { history: c.history, messages: [] });
      expect(out.result.type).toBe('failed');
      expect(failureOf(out)).toMatch(/^nondeterministic: /);
      expect(failureOf(out)).toMatch(c.expected);
      expect(out.ack.historyDelta.at(-1)?.kind).toBe('OrchestrationFailed');
    });
  }

  it('completion for a closed schedule, kind mismatch and orphan completion in history', async () => {
    const closed = history((h) => {
      const a = h.activity('A');
      h.completed(a, 1);
      h.completed(a, 2);
    });
    const out = await turn(
      async (ctx) => {
        await ctx.scheduleActivity('A');
        return ctx.waitForEvent('more');
      },
      { history: closed, messages: [] },
    );
    expect(failureOf(out)).toMatch(
      /completion without open schedule at event 4: ActivityCompleted for source event 2/,
    );
    const kind = history((h) => h.add({ kind: 'TimerFired', fireAtMs: 1 }, h.activity('A')));
    const k = await turn(async (ctx) => ctx.scheduleActivity('A'), { history: kind, messages: [] });
    expect(failureOf(k)).toMatch(
      /completion kind mismatch at event 3: expected timer completion for source event 2/,
    );
    const orphan = history((h) => h.completed(42, 'x'));
    const o = await turn(async (ctx) => ctx.scheduleActivity('A'), { history: orphan, messages: [] });
    expect(failureOf(o)).toMatch(/completion without open schedule at event 2/);
  });

  it('a batch completion for an unknown or wrong-kind schedule fails without running code', async () => {
    const h = history((b) => b.timer());
    let ran = false;
    const code = async (ctx: OrchestrationContext) => {
      ran = true;
      return ctx.scheduleTimer(1000);
    };
    const wrongKind = await turn(code as never, { history: h, messages: [msg.done(2, 'x')] });
    expect(failureOf(wrongKind)).toBe(
      "nondeterministic: completion kind mismatch for id=2, expected 'timer', got 'activity'",
    );
    const unknown = await turn(code as never, { history: h, messages: [msg.fired(9)] });
    expect(failureOf(unknown)).toBe('nondeterministic: no matching schedule for timer id=9');
    expect(ran).toBe(false);
  });

  it('code swapped between turns fails the next turn (sim)', async () => {
    let version = 1;
    const sim = new Sim(
      {
        Orch: async (ctx) => {
          await ctx.scheduleActivity(version === 1 ? 'A' : 'B');
          return ctx.scheduleActivity('C');
        },
      },
      { A: () => 1, B: () => 2, C: () => 3 },
    );
    sim.start('i1', 'Orch');
    await sim.turn('i1');
    version = 2;
    await sim.runToIdle();
    expect(sim.terminal('i1')).toMatchObject({
      kind: 'OrchestrationFailed',
      details: { category: 'configuration' },
    });
  });
});

describe('history corruption (§9.31)', () => {
  const code = async (ctx: OrchestrationContext) => ctx.scheduleActivity('A');

  it('empty history of an existing execution', async () => {
    const { executeTurn } = await import('@duroxide/core');
    const out = await executeTurn(
      {
        type: 'run',
        instance: 'i1',
        executionId: 1,
        orchestrationName: 'Orch',
        requestedVersion: null,
        isNewExecution: false,
        state: {
          instance: 'i1',
          executionId: 1,
          history: [],
          messages: [],
          kvSnapshot: {},
          orchestrationName: 'Orch',
          input: 'null',
          parent: null,
          carryForwardEvents: [],
          initialCustomStatus: null,
        },
      },
      { handler: code, version: '1.0.0', nowMs: 0, duroxideVersion: '0.1.0' },
    );
    expect(failureOf(out)).toBe('nondeterministic: corrupted history: empty');
  });

  it('missing or misplaced OrchestrationStarted', async () => {
    const h = new HistoryBuilder();
    h.activity('A');
    const missing = await turn(code as never, { history: h.events, messages: [msg.raise('x', 1)] });
    expect(failureOf(missing)).toBe(
      'nondeterministic: corrupted history: first event must be OrchestrationStarted',
    );
    const twice = new HistoryBuilder();
    twice.started();
    twice.started();
    const misplaced = await turn(code as never, { history: twice.events, messages: [] });
    expect(failureOf(misplaced)).toMatch(/OrchestrationStarted at event 2 is not the first event/);
  });

  it('terminal histories are a no-op (ackOnly)', async () => {
    const { prepareTurn } = await import('@duroxide/core');
    const h = new HistoryBuilder();
    h.started();
    h.add({ kind: 'OrchestrationCompleted', output: '1' });
    const prepared = prepareTurn({
      instance: 'i1',
      orchestrationName: 'Orch',
      executionId: 1,
      version: '1.0.0',
      history: h.events,
      messages: [msg.raise('late', 1), msg.start()],
      historyError: null,
      kvSnapshot: {},
    });
    expect(prepared.type).toBe('ackOnly');
    if (prepared.type === 'ackOnly') expect(prepared.ack.historyDelta).toEqual([]);
  });
});

describe('foreign awaits', () => {
  it('code blocked on a non-durable promise fails the instance with a nondeterminism error that says so', async () => {
    const out = await turn(async (ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return ctx.scheduleActivity('A');
    });
    expect(failureOf(out)).toMatch(
      /nondeterministic: the orchestration is blocked but awaits no pending durable task: it awaited a non-durable promise/,
    );
  });

  it('a ctx call after the turn ended throws and fails the next turn of the instance', async () => {
    let lateError: unknown = null;
    let lateDone!: () => void;
    const late = new Promise<void>((resolve) => {
      lateDone = resolve;
    });
    const code = async (ctx: OrchestrationContext) => {
      void (async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        try {
          void ctx.scheduleActivity('Late');
        } catch (e) {
          lateError = e;
        }
        lateDone();
      })();
      return ctx.scheduleTimer(1000);
    };
    const first = await turn(code);
    expect(first.result).toEqual({ type: 'continue' });
    await late;
    expect(lateError).toMatchObject({ code: 'NONDETERMINISM' });
    expect((lateError as Error).message).toMatch(
      /ctx.scheduleActivity was called while no orchestration turn was running/,
    );
    const second = await turn(code, { history: first.history, messages: [msg.fired(2)] });
    expect(failureOf(second)).toMatch(
      /^nondeterministic: ctx.scheduleActivity was called while no orchestration turn was running/,
    );
  });

  it('awaiting only a cancelled task is reported the same way', async () => {
    const out = await turn(async (ctx) => {
      const t = ctx.scheduleActivity('A');
      t.cancel();
      return t;
    });
    expect(failureOf(out)).toMatch(/only cancelled tasks/);
  });
});
