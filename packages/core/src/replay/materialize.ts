import { type ErrorDetails, nondeterminismFailure } from '../history/error-details.js';
import type { Event } from '../history/events.js';
import type { OrchestratorItem } from '../history/work-items.js';
import type { ScheduleKind } from './action-matching.js';
import type { EventFactory } from './event-factory.js';
import type { HistoryScan } from './history-scan.js';

/** Stage 1 output: the batch as history events, what was dropped, and an abort error if any. */
export interface Materialized {
  events: Event[];
  dropped: { item: OrchestratorItem; reason: string }[];
  /** First error that fails the turn without running code (bad correlation, non-application failure). */
  abort: ErrorDetails | null;
  nextEventId: number;
}

const LABEL: Record<string, string> = {
  activity: 'activity',
  timer: 'timer',
  subOrchestration: 'suborchestration',
};

/**
 * duroxide §4.2 with the quirk fixed: a completion is dropped when its source already has a completion
 * of either kind (persisted or earlier in this batch); wrong-execution completions are dropped;
 * external and queue messages are always kept; a cancel is recorded once per execution.
 */
export function materializeMessages(
  messages: readonly OrchestratorItem[],
  scan: Pick<HistoryScan, 'schedules' | 'cancelReason'>,
  completedSources: Set<number>,
  hasTerminal: boolean,
  executionId: number,
  factory: EventFactory,
  firstEventId: number,
): Materialized {
  const out: Materialized = { events: [], dropped: [], abort: null, nextEventId: firstEventId };
  let cancelSeen = scan.cancelReason !== null;
  const emit = (item: OrchestratorItem, event: Event) => {
    out.events.push(event);
    void item;
  };
  const setAbort = (details: ErrorDetails) => {
    out.abort ??= details;
  };
  const completion = (
    item: OrchestratorItem,
    id: number,
    expected: ScheduleKind,
    itemExec: number,
  ): boolean => {
    if (itemExec !== executionId) {
      out.dropped.push({ item, reason: `completion for execution ${itemExec}, current is ${executionId}` });
      return false;
    }
    if (completedSources.has(id)) {
      out.dropped.push({ item, reason: `duplicate completion for id=${id}` });
      return false;
    }
    const kind = scan.schedules.get(id);
    if (kind === undefined || !(kind in LABEL)) {
      const what =
        expected === 'activity' ? 'completion' : expected === 'timer' ? 'timer' : 'sub-orchestration';
      setAbort(nondeterminismFailure(`no matching schedule for ${what} id=${id}`));
      return false;
    }
    if (kind !== expected) {
      setAbort(
        nondeterminismFailure(
          `completion kind mismatch for id=${id}, expected '${LABEL[kind]}', got '${LABEL[expected]}'`,
        ),
      );
      return false;
    }
    completedSources.add(id);
    return true;
  };
  for (const item of messages) {
    const nextId = out.nextEventId;
    let event: Event | null = null;
    switch (item.kind) {
      case 'ActivityCompleted':
        if (completion(item, item.id, 'activity', item.executionId)) {
          event = factory.make(nextId, { kind: 'ActivityCompleted', result: item.result }, item.id);
        }
        break;
      case 'ActivityFailed':
        if (completion(item, item.id, 'activity', item.executionId)) {
          event = factory.make(nextId, { kind: 'ActivityFailed', details: item.details }, item.id);
          if (item.details.category !== 'application') setAbort(item.details);
        }
        break;
      case 'TimerFired':
        if (completion(item, item.id, 'timer', item.executionId)) {
          event = factory.make(nextId, { kind: 'TimerFired', fireAtMs: item.fireAtMs }, item.id);
        }
        break;
      case 'SubOrchCompleted':
        if (completion(item, item.parentId, 'subOrchestration', item.parentExecutionId)) {
          event = factory.make(
            nextId,
            { kind: 'SubOrchestrationCompleted', result: item.result },
            item.parentId,
          );
        }
        break;
      case 'SubOrchFailed':
        if (completion(item, item.parentId, 'subOrchestration', item.parentExecutionId)) {
          event = factory.make(
            nextId,
            { kind: 'SubOrchestrationFailed', details: item.details },
            item.parentId,
          );
          if (item.details.category !== 'application') setAbort(item.details);
        }
        break;
      case 'ExternalRaised':
        event = factory.make(nextId, { kind: 'ExternalEvent', name: item.name, data: item.data });
        break;
      case 'QueueMessage':
        event = factory.make(nextId, { kind: 'QueueEventDelivered', name: item.name, data: item.data });
        break;
      case 'CancelInstance':
        if (hasTerminal || cancelSeen) out.dropped.push({ item, reason: 'cancel already requested' });
        else {
          cancelSeen = true;
          event = factory.make(nextId, { kind: 'OrchestrationCancelRequested', reason: item.reason });
        }
        break;
      case 'StartOrchestration':
      case 'ContinueAsNew':
        out.dropped.push({ item, reason: `duplicate ${item.kind} for a running execution` });
        break;
    }
    if (event !== null) {
      emit(item, event);
      out.nextEventId = nextId + 1;
    }
  }
  return out;
}

/** Sources that already have a completion of any kind (activity, timer or sub-orchestration). */
export function completedSourcesOf(events: readonly Event[]): Set<number> {
  const done = new Set<number>();
  for (const e of events) {
    switch (e.kind) {
      case 'ActivityCompleted':
      case 'ActivityFailed':
      case 'TimerFired':
      case 'SubOrchestrationCompleted':
      case 'SubOrchestrationFailed':
        if (e.sourceEventId !== null) done.add(e.sourceEventId);
        break;
      default:
        break;
    }
  }
  return done;
}
