import { ActivityFailedError, SubOrchestrationFailedError } from '../errors.js';
import { displayMessage, type ErrorDetails, nondeterminismFailure } from '../history/error-details.js';
import type { Event } from '../history/events.js';
import { decodePayload } from '../history/payload.js';
import { actionToEvent } from './action-events.js';
import { actionMismatch, describeEvent, type ScheduleKind, scheduleKindOf } from './action-matching.js';
import type { Action } from './actions.js';
import type { DurableTaskImpl } from './durable-task.js';
import { isThenable } from './durable-task.js';
import type { EventFactory } from './event-factory.js';
import { isGenerator, runGenerator } from './generator-adapter.js';
import type { OrchestrationContextImpl } from './orchestration-context.js';
import type { TurnScope } from './turn-scope.js';

/** How the orchestration function ended, if it did. */
export type Finished = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Everything the engine needs for one turn. */
export interface EngineInput {
  /** Working history: persisted events, `OrchestrationStarted` for new executions, then this batch. */
  history: Event[];
  /** How many events of `history` were persisted before this turn. */
  persistedLen: number;
  nextEventId: number;
  handler: (ctx: OrchestrationContextImpl, input: unknown) => unknown;
  input: unknown;
  ctx: OrchestrationContextImpl;
  scope: TurnScope;
  factory: EventFactory;
  /** Child id prefix for auto sub-orchestration ids. */
  instance: string;
}

/** What changes when a suspended walk continues with the next turn. */
export interface ResumedTurnInput {
  /** Events persisted before this turn (the working history up to the new batch). */
  persistedLen: number;
  /** The id the next new event gets. */
  nextEventId: number;
  /** This turn's event factory (its clock stamps new events and timer fire times). */
  factory: EventFactory;
}

/** What the engine produced. */
export interface EngineResult {
  /** Events appended by the code this turn (schedules, status, KV), in order. */
  newEvents: Event[];
  /** New actions with their event ids (work items are derived from these). */
  newActions: { action: Action; eventId: number; event: Event | null }[];
  /** A replay failure (nondeterminism, corruption), or null. */
  failure: ErrorDetails | null;
  /** The function's outcome, or null while it waits. */
  finished: Finished | null;
  /** The first continue-as-new action, or null. */
  continueAsNew: Extract<Action, { type: 'continueAsNew' }> | null;
  nextEventId: number;
}

/** Drains every queued microtask (the code runs until it is blocked again). */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const MAX_QUIESCENCE_DRAINS = 10_000;

/**
 * The deterministic replay walk (duroxide §4.3–§4.5). The code runs only while the engine drains; one
 * completion is delivered per drain and only when code has reacted to the previous one, so every
 * select/join outcome follows history order. Actions beyond history become new events.
 */
export class ReplayEngine {
  private readonly history: Event[];
  private readonly bound = new Map<number, DurableTaskImpl>();
  private readonly open = new Map<number, ScheduleKind>();
  private readonly waits = new Map<string, DurableTaskImpl[]>();
  private readonly consumers = new Map<string, DurableTaskImpl[]>();
  private readonly mailbox = new Map<string, string[]>();
  private result: EngineResult;
  private finished: Finished | null = null;
  /** Index of the next history event to apply (kept across turns when the instance is cached). */
  private cursor = 0;
  private readonly scope: TurnScope;

  constructor(private readonly input: EngineInput) {
    this.history = input.history;
    this.scope = input.scope;
    this.result = {
      newEvents: [],
      newActions: [],
      failure: null,
      finished: null,
      continueAsNew: null,
      nextEventId: input.nextEventId,
    };
  }

  /** Runs the code against history to quiescence. */
  async run(): Promise<EngineResult> {
    this.start();
    return this.walk();
  }

  /**
   * Continues a suspended walk with the next turn's events (instance cache): `events` are appended to the
   * working history, which the previous turn left fully walked and quiescent, so the code sees exactly
   * the delivery sequence a replay from the start would give it.
   */
  async resume(events: readonly Event[], turn: ResumedTurnInput): Promise<EngineResult> {
    for (const event of events) this.history.push(event);
    this.input.persistedLen = turn.persistedLen;
    this.input.factory = turn.factory;
    this.result = {
      newEvents: [],
      newActions: [],
      failure: null,
      finished: null,
      continueAsNew: null,
      nextEventId: turn.nextEventId,
    };
    return this.walk();
  }

  /** Whether the walk ended quiescent with every event and action consumed (a turn that can be resumed). */
  get isSuspendable(): boolean {
    const scope = this.scope;
    return (
      this.result.failure === null &&
      this.finished === null &&
      this.result.continueAsNew === null &&
      this.cursor === this.history.length &&
      !scope.dirty &&
      scope.actionHead === scope.actions.length
    );
  }

  /** Appends events written after the walk (dropped-future breadcrumbs); the next resume walks them first. */
  appendUnwalked(events: readonly Event[]): void {
    for (const event of events) this.history.push(event);
  }

  /** Number of events in the working history (walked or not). */
  get historyLength(): number {
    return this.history.length;
  }

  private async walk(): Promise<EngineResult> {
    let quiescenceDrains = 0;
    const scope = this.scope;
    while (this.result.failure === null) {
      const i = this.cursor;
      if (i >= this.history.length) {
        if (scope.dirty) {
          if (++quiescenceDrains > MAX_QUIESCENCE_DRAINS) {
            this.fail({
              category: 'infrastructure',
              operation: 'quiescence_loop',
              message: `orchestration did not settle after ${MAX_QUIESCENCE_DRAINS} in-turn steps`,
              retryable: false,
            });
            break;
          }
          await this.drain();
          continue;
        }
        if (scope.actionHead >= scope.actions.length) break;
        this.appendNewAction();
        continue;
      }
      const step = this.apply(this.history[i]!, i);
      if (step === DRAIN) {
        // After the function returned, the walk goes on only while recorded actions still match.
        await this.drain();
        continue;
      }
      if (step === STOP) break;
      this.cursor = i + 1;
    }
    if (this.finished !== null && this.result.failure === null) this.flushRemaining();
    this.result.finished = this.finished;
    return this.result;
  }

  /** Actions recorded just before the function returned (e.g. detached starts) still become events. */
  private flushRemaining(): void {
    const scope = this.scope;
    while (scope.actionHead < scope.actions.length) {
      const action = scope.actions[scope.actionHead]!;
      this.appendNewAction();
      if (action.type === 'continueAsNew') continue;
      scope.actionHead++;
      const last = this.result.newActions[this.result.newActions.length - 1]!;
      if ('task' in action) {
        action.task.eventId = last.eventId;
        this.bound.set(last.eventId, action.task);
      }
    }
  }

  private start(): void {
    const scope = this.scope;
    scope.replaying = this.input.persistedLen > 0;
    let out: unknown;
    try {
      out = this.input.handler(this.input.ctx, this.input.input);
    } catch (error) {
      this.finish({ ok: false, error });
      return;
    }
    if (isGenerator(out)) out = runGenerator(out);
    scope.markDirty();
    if (isThenable(out)) {
      out.then(
        (value) => this.finish({ ok: true, value }),
        (error) => this.finish({ ok: false, error }),
      );
    } else this.finish({ ok: true, value: out });
  }

  private finish(outcome: Finished): void {
    this.finished ??= outcome;
  }

  private async drain(): Promise<void> {
    await drainMicrotasks();
    this.scope.dirty = false;
    this.scope.resetWindows();
  }

  private fail(details: ErrorDetails): void {
    this.result.failure ??= details;
  }

  private nondeterminism(message: string): typeof STOP {
    this.fail(nondeterminismFailure(message));
    return STOP;
  }

  private nextAction(): Action | null {
    const scope = this.scope;
    return scope.actionHead < scope.actions.length ? scope.actions[scope.actionHead]! : null;
  }

  /** Applies one history event; returns DRAIN when the code must run first, STOP to end the walk. */
  private apply(event: Event, index: number): Step {
    switch (event.kind) {
      case 'OrchestrationStarted':
        if (index !== 0) {
          return this.nondeterminism(
            `corrupted history: OrchestrationStarted at event ${event.eventId} is not the first event`,
          );
        }
        return NEXT;
      case 'ActivityScheduled':
      case 'TimerCreated':
      case 'ExternalSubscribed':
      case 'QueueSubscribed':
      case 'SubOrchestrationScheduled':
      case 'OrchestrationChained':
        return this.applySchedule(event);
      case 'CustomStatusUpdated':
      case 'KeyValueSet':
      case 'KeyValueCleared':
      case 'KeyValuesCleared':
        return this.applyStatusOrKv(event);
      case 'ActivityCompleted':
      case 'ActivityFailed':
      case 'TimerFired':
      case 'SubOrchestrationCompleted':
      case 'SubOrchestrationFailed':
        return this.applyCompletion(event, index);
      case 'ExternalEvent':
        return this.applyArrival(this.waits, event.name, event.data, index);
      case 'QueueEventDelivered': {
        const step = this.applyArrival(this.consumers, event.name, event.data, index);
        if (step === SKIPPED) pushTo(this.mailbox, event.name, event.data);
        return step === SKIPPED ? NEXT : step;
      }
      case 'ExternalSubscribedCancelled':
      case 'QueueSubscriptionCancelled': {
        const task = this.bound.get(event.sourceEventId ?? -1);
        // Excluded from matching even if the code no longer cancels it (reconciliation reports that).
        if (task !== undefined) removeTask(task.kind === 'wait' ? this.waits : this.consumers, task);
        return NEXT;
      }
      case 'OrchestrationCompleted':
      case 'OrchestrationFailed':
      case 'OrchestrationContinuedAsNew':
        return STOP;
      default:
        return NEXT;
    }
  }

  private applySchedule(event: Event): Step {
    let action = this.nextAction();
    if (action === null) {
      if (this.scope.dirty) return DRAIN;
      if (this.finished !== null) return STOP;
      return this.nondeterminism(
        `history schedule but no emitted action at event ${event.eventId}: history recorded ${describeEvent(event)} but the code did not schedule anything (it is waiting on something else)`,
      );
    }
    // A dequeue that can take a buffered message delivers now, so the code must be quiet first.
    if (action.type === 'dequeue' && this.scope.dirty && (this.mailbox.get(action.name)?.length ?? 0) > 0) {
      return DRAIN;
    }
    const mismatch = actionMismatch(action, event);
    if (mismatch !== null) return this.nondeterminism(mismatch);
    this.scope.actionHead++;
    action = action as Extract<Action, { task: DurableTaskImpl }>;
    const task = action.task;
    task.eventId = event.eventId;
    this.bound.set(event.eventId, task);
    const kind = scheduleKindOf(event)!;
    if (kind === 'activity' || kind === 'timer' || kind === 'subOrchestration')
      this.open.set(event.eventId, kind);
    if (action.type === 'wait') pushTo(this.waits, action.name, task);
    if (action.type === 'dequeue') {
      const box = this.mailbox.get(action.name);
      if (box !== undefined && box.length > 0) this.deliver(task, true, decodePayload(box.shift()!), -1);
      else pushTo(this.consumers, action.name, task);
    }
    return NEXT;
  }

  private applyStatusOrKv(event: Event): Step {
    const action = this.nextAction();
    if (action === null) return this.scope.dirty ? DRAIN : NEXT;
    const mismatch = actionMismatch(action, event);
    if (mismatch !== null) return this.nondeterminism(mismatch);
    this.scope.actionHead++;
    if (event.kind === 'KeyValueSet')
      this.input.ctx.kv.adoptTimestamp(event.key, event.value, event.lastUpdatedAtMs);
    return NEXT;
  }

  private applyCompletion(event: Event, index: number): Step {
    if (this.scope.dirty) return DRAIN;
    const source = event.sourceEventId ?? -1;
    const kind = this.open.get(source);
    if (kind === undefined) {
      return this.nondeterminism(
        `completion without open schedule at event ${event.eventId}: ${event.kind} for source event ${source}, which is not an open schedule in history`,
      );
    }
    const expected = COMPLETION_KIND[event.kind as keyof typeof COMPLETION_KIND];
    if (kind !== expected) {
      return this.nondeterminism(
        `completion kind mismatch at event ${event.eventId}: expected ${expected} completion for source event ${source}, history recorded ${event.kind} for a ${kind}`,
      );
    }
    this.open.delete(source);
    const task = this.bound.get(source);
    if (task === undefined) return NEXT;
    switch (event.kind) {
      case 'ActivityCompleted':
        this.deliverResult(task, decodePayload(event.result), index);
        break;
      case 'ActivityFailed':
        this.deliver(
          task,
          false,
          new ActivityFailedError(displayMessage(event.details), { cause: event.details }),
          index,
        );
        break;
      case 'TimerFired':
        this.deliver(task, true, null, index);
        break;
      case 'SubOrchestrationCompleted':
        this.deliverResult(task, decodePayload(event.result), index);
        break;
      case 'SubOrchestrationFailed':
        this.deliver(
          task,
          false,
          new SubOrchestrationFailedError(displayMessage(event.details), { cause: event.details }),
          index,
        );
        break;
      default:
        break;
    }
    return NEXT;
  }

  /** Positional external events and FIFO queue messages: the oldest waiting subscriber takes it. */
  private applyArrival(
    table: Map<string, DurableTaskImpl[]>,
    name: string,
    data: string,
    index: number,
  ): Step {
    const list = table.get(name);
    if (list === undefined || list.length === 0) return SKIPPED;
    if (this.scope.dirty) return DRAIN;
    while (list.length > 0 && !list[0]!.isPending) list.shift();
    const task = list.shift();
    if (task === undefined) return SKIPPED;
    this.deliver(task, true, decodePayload(data), index);
    return NEXT;
  }

  /** Delivers a completion through the task's transform; a transform that throws (a typed handle's decoder) fails the task. */
  private deliverResult(task: DurableTaskImpl, value: unknown, index: number): void {
    if (task.transform === null) {
      this.deliver(task, true, value, index);
      return;
    }
    let transformed: unknown;
    try {
      transformed = task.transform(value);
    } catch (error) {
      this.deliver(task, false, error, index);
      return;
    }
    this.deliver(task, true, transformed, index);
  }

  private deliver(task: DurableTaskImpl, ok: boolean, value: unknown, index: number): void {
    if (!task.isPending) return;
    const scope = this.scope;
    scope.cause = task;
    // Code reacting to a persisted completion already ran in the turn that recorded it (duroxide counts the
    // reaction to the last persisted event as new and traces it twice; the instance cache exposed that).
    if (index >= 0) scope.replaying = index < this.input.persistedLen;
    task.settle(ok, value);
  }

  /** History is exhausted: the next recorded action becomes a new event (or a continue-as-new). */
  private appendNewAction(): void {
    const scope = this.scope;
    const action = scope.actions[scope.actionHead]!;
    const eventId = this.result.nextEventId++;
    if (action.type === 'continueAsNew') {
      scope.actionHead++;
      this.result.continueAsNew ??= action;
      this.result.newActions.push({ action, eventId, event: null });
      return;
    }
    const event = actionToEvent(action, eventId, this.input.factory, this.input.instance);
    this.history.push(event);
    this.result.newEvents.push(event);
    this.result.newActions.push({ action, eventId, event });
  }
}

type Step = 0 | 1 | 2 | 3;
const NEXT: Step = 0;
const DRAIN: Step = 1;
const STOP: Step = 2;
const SKIPPED: Step = 3;

const COMPLETION_KIND = {
  ActivityCompleted: 'activity',
  ActivityFailed: 'activity',
  TimerFired: 'timer',
  SubOrchestrationCompleted: 'subOrchestration',
  SubOrchestrationFailed: 'subOrchestration',
} as const;

function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function removeTask(map: Map<string, DurableTaskImpl[]>, task: DurableTaskImpl): void {
  for (const list of map.values()) {
    const at = list.indexOf(task);
    if (at >= 0) {
      list.splice(at, 1);
      return;
    }
  }
}
