/** Test utility: hand-built histories and one-turn execution through prepareTurn/executeTurn. */
import {
  activityFailure,
  displayMessage,
  type ErrorDetails,
  type Event,
  type EventKind,
  executeTurn,
  type KvEntry,
  type OrchestrationHandler,
  type OrchestratorItem,
  prepareTurn,
  type TurnOutcome,
} from '@duroxide/core';

export const T0 = 1_700_000_000_000;

/** Builds one execution's history with sequential event ids. */
export class HistoryBuilder {
  readonly events: Event[] = [];
  private next = 1;

  constructor(
    readonly instance = 'i1',
    readonly executionId = 1,
  ) {}

  /** Appends an event and returns its id. */
  add(kind: EventKind, sourceEventId: number | null = null, eventId = this.next): number {
    this.events.push({
      eventId,
      sourceEventId,
      instanceId: this.instance,
      executionId: this.executionId,
      timestampMs: T0,
      duroxideVersion: '0.1.0',
      ...kind,
    } as Event);
    this.next = eventId + 1;
    return eventId;
  }

  started(
    name = 'Orch',
    input: unknown = null,
    extra: Partial<Extract<EventKind, { kind: 'OrchestrationStarted' }>> = {},
  ): number {
    return this.add({
      kind: 'OrchestrationStarted',
      name,
      version: '1.0.0',
      input: JSON.stringify(input),
      ...extra,
    });
  }
  activity(name: string, input: unknown = null, extra: { sessionId?: string; tag?: string } = {}): number {
    return this.add({ kind: 'ActivityScheduled', name, input: JSON.stringify(input), ...extra });
  }
  completed(source: number, result: unknown): number {
    return this.add({ kind: 'ActivityCompleted', result: JSON.stringify(result) }, source);
  }
  failed(source: number, message: string): number {
    return this.add({ kind: 'ActivityFailed', details: activityFailure(message) }, source);
  }
  timer(fireAtMs = T0 + 1000): number {
    return this.add({ kind: 'TimerCreated', fireAtMs });
  }
  fired(source: number, fireAtMs = T0 + 1000): number {
    return this.add({ kind: 'TimerFired', fireAtMs }, source);
  }
  subscribe(name: string): number {
    return this.add({ kind: 'ExternalSubscribed', name });
  }
  external(name: string, data: unknown): number {
    return this.add({ kind: 'ExternalEvent', name, data: JSON.stringify(data) });
  }
  sub(name: string, input: unknown = null, instance = `${this.instance}::sub::${this.next}`): number {
    return this.add({ kind: 'SubOrchestrationScheduled', name, instance, input: JSON.stringify(input) });
  }
  subCompleted(source: number, result: unknown): number {
    return this.add({ kind: 'SubOrchestrationCompleted', result: JSON.stringify(result) }, source);
  }
  subFailed(source: number, details: ErrorDetails): number {
    return this.add({ kind: 'SubOrchestrationFailed', details }, source);
  }
}

/** Message builders for the batch of a turn. */
export const msg = {
  start: (
    name = 'Orch',
    input: unknown = null,
    extra: Partial<Extract<OrchestratorItem, { kind: 'StartOrchestration' }>> = {},
  ): OrchestratorItem => ({
    kind: 'StartOrchestration',
    instance: 'i1',
    orchestration: name,
    input: JSON.stringify(input),
    executionId: 1,
    ...extra,
  }),
  done: (id: number, result: unknown, executionId = 1): OrchestratorItem => ({
    kind: 'ActivityCompleted',
    instance: 'i1',
    executionId,
    id,
    result: JSON.stringify(result),
  }),
  fail: (id: number, details: ErrorDetails | string, executionId = 1): OrchestratorItem => ({
    kind: 'ActivityFailed',
    instance: 'i1',
    executionId,
    id,
    details: typeof details === 'string' ? activityFailure(details) : details,
  }),
  fired: (id: number, executionId = 1): OrchestratorItem => ({
    kind: 'TimerFired',
    instance: 'i1',
    executionId,
    id,
    fireAtMs: T0 + 1000,
  }),
  raise: (name: string, data: unknown): OrchestratorItem => ({
    kind: 'ExternalRaised',
    instance: 'i1',
    name,
    data: JSON.stringify(data),
  }),
  queue: (name: string, data: unknown): OrchestratorItem => ({
    kind: 'QueueMessage',
    instance: 'i1',
    name,
    data: JSON.stringify(data),
  }),
  cancel: (reason = 'stop'): OrchestratorItem => ({ kind: 'CancelInstance', instance: 'i1', reason }),
  subDone: (parentId: number, result: unknown, parentExecutionId = 1): OrchestratorItem => ({
    kind: 'SubOrchCompleted',
    parentInstance: 'i1',
    parentExecutionId,
    parentId,
    result: JSON.stringify(result),
  }),
  subFail: (parentId: number, details: ErrorDetails, parentExecutionId = 1): OrchestratorItem => ({
    kind: 'SubOrchFailed',
    parentInstance: 'i1',
    parentExecutionId,
    parentId,
    details,
  }),
};

/** Options of one turn. */
export interface TurnOptions {
  history?: Event[];
  messages?: OrchestratorItem[];
  kvSnapshot?: Record<string, KvEntry>;
  nowMs?: number;
  traces?: string[];
  executionId?: number;
}

/** Runs one turn of `handler` (a fresh start when no history is given). */
export async function turn(handler: OrchestrationHandler, options: TurnOptions = {}): Promise<TurnOutcome> {
  const history = options.history ?? [];
  const messages = options.messages ?? (history.length === 0 ? [msg.start()] : []);
  const prepared = prepareTurn({
    instance: 'i1',
    orchestrationName: 'Orch',
    executionId: options.executionId ?? 1,
    version: '1.0.0',
    history,
    messages,
    historyError: null,
    kvSnapshot: options.kvSnapshot ?? {},
  });
  if (prepared.type !== 'run') throw new Error(`expected a run, got ackOnly: ${prepared.reason}`);
  return executeTurn(prepared, {
    handler,
    version: prepared.requestedVersion ?? '1.0.0',
    nowMs: options.nowMs ?? T0,
    duroxideVersion: '0.1.0',
    trace: (level, message) => options.traces?.push(`${level}:${message}`),
  });
}

/** Kinds of the delta, compactly. */
export function kinds(outcome: TurnOutcome): string[] {
  return outcome.ack.historyDelta.map((e) => e.kind);
}

/** The failure message of a failed turn (display form). */
export function failureOf(outcome: TurnOutcome): string {
  if (outcome.result.type !== 'failed')
    throw new Error(`turn did not fail: ${JSON.stringify(outcome.result)}`);
  return displayMessage(outcome.result.details);
}
