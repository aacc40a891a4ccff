/** Test utility: replays recorded executions with the same code and reports any divergence. */
import { type Event, executeTurn, type OrchestrationHandler, type TurnOutcome } from '@duroxide/core';

const TERMINAL = new Set(['OrchestrationCompleted', 'OrchestrationFailed', 'OrchestrationContinuedAsNew']);

function isTerminalCrumb(e: Event): boolean {
  return 'reason' in e && typeof e.reason === 'string' && e.reason.startsWith('orchestration_terminal');
}

/** Splits an execution into the part the code produced and the tail a terminal turn appends. */
export function splitTerminalTail(events: Event[]): { body: Event[]; tail: Event[] } {
  const last = events[events.length - 1];
  if (last === undefined || !TERMINAL.has(last.kind)) return { body: events, tail: [] };
  let cut = events.length - 1;
  while (cut > 0 && isTerminalCrumb(events[cut - 1]!)) cut--;
  return { body: events.slice(0, cut), tail: events.slice(cut) };
}

/** Re-executes one recorded execution (minus its terminal tail) with no new messages. */
export async function replayExecution(
  instance: string,
  executionId: number,
  events: Event[],
  handler: OrchestrationHandler,
): Promise<{ outcome: TurnOutcome; tail: Event[] }> {
  const { body, tail } = splitTerminalTail(events);
  const started = body[0];
  if (started?.kind !== 'OrchestrationStarted')
    throw new Error('execution does not start with OrchestrationStarted');
  const outcome = await executeTurn(
    {
      type: 'run',
      instance,
      executionId,
      orchestrationName: started.name,
      requestedVersion: started.version,
      isNewExecution: false,
      state: {
        instance,
        executionId,
        history: body,
        messages: [],
        kvSnapshot: {},
        orchestrationName: started.name,
        input: started.input,
        parent:
          started.parentInstance !== undefined && started.parentId !== undefined
            ? {
                instance: started.parentInstance,
                id: started.parentId,
                executionId: started.parentExecutionId,
              }
            : null,
        carryForwardEvents: started.carryForwardEvents ?? [],
        initialCustomStatus: started.initialCustomStatus ?? null,
      },
    },
    {
      handler,
      version: started.version,
      nowMs: started.timestampMs,
      duroxideVersion: started.duroxideVersion,
    },
  );
  return { outcome, tail };
}

/** Problems found when replaying an execution: new actions, a different result or a failure. */
export async function replayProblems(
  instance: string,
  executionId: number,
  events: Event[],
  handler: OrchestrationHandler,
): Promise<string[]> {
  const { outcome, tail } = await replayExecution(instance, executionId, events, handler);
  const problems: string[] = [];
  const sig = (e: Event) => `${e.eventId}:${e.kind}:${e.sourceEventId ?? ''}`;
  const got = outcome.ack.historyDelta.map(sig);
  const want = tail.map(sig);
  if (JSON.stringify(got) !== JSON.stringify(want))
    problems.push(`delta ${JSON.stringify(got)} != recorded tail ${JSON.stringify(want)}`);
  if (outcome.ack.workerItems.length > 0)
    problems.push(`new activities: ${outcome.ack.workerItems.map((w) => w.name).join(', ')}`);
  const last = tail[tail.length - 1];
  const r = outcome.result;
  if (last === undefined) {
    if (r.type !== 'continue') problems.push(`expected continue, got ${r.type}`);
  } else if (last.kind === 'OrchestrationCompleted') {
    if (r.type !== 'completed' || r.output !== last.output)
      problems.push(`expected completed ${last.output}, got ${JSON.stringify(r)}`);
  } else if (last.kind === 'OrchestrationFailed') {
    if (r.type !== 'failed' && r.type !== 'cancelled')
      problems.push(`expected failed, got ${JSON.stringify(r)}`);
    if (r.type === 'failed' && JSON.stringify(r.details) !== JSON.stringify(last.details)) {
      problems.push(
        `failure details differ: ${JSON.stringify(r.details)} vs ${JSON.stringify(last.details)}`,
      );
    }
  } else if (last.kind === 'OrchestrationContinuedAsNew') {
    if (r.type !== 'continuedAsNew' || r.input !== last.input)
      problems.push(`expected continuedAsNew ${last.input}, got ${JSON.stringify(r)}`);
  }
  if (r.type === 'failed' && r.details.category === 'configuration')
    problems.push(`nondeterminism: ${r.details.message}`);
  return problems;
}
