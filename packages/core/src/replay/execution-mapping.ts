import { displayMessage } from '../history/error-details.js';
import type { Event } from '../history/events.js';
import { MAX_CARRY_FORWARD_EVENTS } from '../history/limits.js';
import type { ActivityExecuteItem, OrchestratorItem } from '../history/work-items.js';
import type {
  ExecutionMetadata,
  OrchestrationAck,
  ScheduledActivityIdentifier,
} from '../provider/provider-contract.js';
import type { Action } from './actions.js';
import type { EventFactory } from './event-factory.js';
import { scanHistory } from './history-scan.js';
import { resultDetails } from './turn-finalize.js';
import type { TurnState } from './turn-state.js';
import type { TurnResult } from './turn-types.js';

/** Everything the mapping needs besides the result. */
export interface MappingInput {
  state: TurnState;
  executionId: number;
  factory: EventFactory;
  result: TurnResult;
  /** Persisted events of the execution. */
  persisted: readonly Event[];
  /** Events this turn already appended (Started, batch, new schedules, dropped-future breadcrumbs). */
  delta: Event[];
  newActions: readonly { action: Action; eventId: number; event: Event | null }[];
  droppedActivities: readonly number[];
  droppedSubOrchestrations: readonly { id: number; instance: string }[];
  nextEventId: number;
  /** Custom status when the turn ended (carried over continue-as-new). */
  customStatus: string | null;
  /** Version resolved for this execution (metadata of new executions). */
  version: string;
  duroxideVersion: string;
  isNewExecution: boolean;
}

const TERMINAL_REASON = {
  completed: 'orchestration_terminal_completed',
  failed: 'orchestration_terminal_failed',
  cancelled: 'orchestration_terminal_failed',
  continuedAsNew: 'orchestration_terminal_continued_as_new',
} as const;

/**
 * duroxide §4.12 with the terminal-last fix: new work for `continue`; for terminal results the
 * subscription and activity cancellation breadcrumbs come before the terminal event, which is last.
 */
export function buildAck(m: MappingInput): OrchestrationAck {
  const { state, executionId } = m;
  const instance = state.instance;
  const delta = [...m.delta];
  const workerItems: ActivityExecuteItem[] = [];
  const orchestratorItems: OrchestratorItem[] = [];
  const cancelled: ScheduledActivityIdentifier[] = m.droppedActivities.map((activityId) => ({
    instance,
    executionId,
    activityId,
  }));
  for (const sub of m.droppedSubOrchestrations) {
    orchestratorItems.push({
      kind: 'CancelInstance',
      instance: sub.instance,
      reason: 'parent dropped sub-orchestration future',
    });
  }
  const result = m.result;
  const terminal = result.type !== 'continue';
  for (const { action, eventId, event } of m.newActions) {
    if (action.type === 'detached') {
      orchestratorItems.push({
        kind: 'StartOrchestration',
        instance: action.instance,
        orchestration: action.name,
        input: action.input,
        ...(action.version !== undefined ? { version: action.version } : {}),
        executionId: 1,
      });
    }
    if (terminal) continue;
    if (action.type === 'activity') {
      const item: ActivityExecuteItem = {
        kind: 'ActivityExecute',
        instance,
        executionId,
        id: eventId,
        name: action.name,
        input: action.input,
      };
      if (action.sessionId !== undefined) item.sessionId = action.sessionId;
      if (action.tag !== undefined) item.tag = action.tag;
      workerItems.push(item);
    } else if (action.type === 'timer' && event?.kind === 'TimerCreated') {
      orchestratorItems.push({
        kind: 'TimerFired',
        instance,
        executionId,
        id: eventId,
        fireAtMs: event.fireAtMs,
      });
    } else if (action.type === 'subOrchestration' && event?.kind === 'SubOrchestrationScheduled') {
      orchestratorItems.push({
        kind: 'StartOrchestration',
        instance: event.instance,
        orchestration: action.name,
        input: action.input,
        ...(action.version !== undefined ? { version: action.version } : {}),
        parentInstance: instance,
        parentId: eventId,
        parentExecutionId: executionId,
        executionId: 1,
      });
    }
  }
  const metadata: ExecutionMetadata = {};
  if (m.isNewExecution) {
    metadata.orchestrationName = state.orchestrationName;
    metadata.orchestrationVersion = m.version;
    if (state.parent !== null) metadata.parentInstanceId = state.parent.instance;
    metadata.pinnedDuroxideVersion = m.duroxideVersion;
  }
  if (terminal) appendTerminal(m, delta, orchestratorItems, cancelled, metadata);
  return {
    executionId,
    historyDelta: delta,
    workerItems,
    orchestratorItems,
    metadata,
    cancelledActivities: cancelled,
  };
}

function appendTerminal(
  m: MappingInput,
  delta: Event[],
  items: OrchestratorItem[],
  cancelled: ScheduledActivityIdentifier[],
  metadata: ExecutionMetadata,
): void {
  const result = m.result as Exclude<TurnResult, { type: 'continue' }>;
  const { factory, state, executionId } = m;
  let next = m.nextEventId;
  const scan = scanHistory([...m.persisted, ...delta]);
  for (const id of scan.outstandingWaits) {
    delta.push(
      factory.make(next++, { kind: 'ExternalSubscribedCancelled', reason: 'orchestration_terminal' }, id),
    );
  }
  for (const id of scan.outstandingDequeues) {
    delta.push(
      factory.make(next++, { kind: 'QueueSubscriptionCancelled', reason: 'orchestration_terminal' }, id),
    );
  }
  const known = new Set(cancelled.map((c) => c.activityId));
  for (const id of scan.outstandingActivities) {
    delta.push(
      factory.make(next++, { kind: 'ActivityCancelRequested', reason: TERMINAL_REASON[result.type] }, id),
    );
    if (!known.has(id)) cancelled.push({ instance: state.instance, executionId, activityId: id });
  }
  if (result.type === 'cancelled') {
    for (const sub of scan.outstandingSubOrchestrations) {
      items.push({ kind: 'CancelInstance', instance: sub.instance, reason: 'parent canceled' });
    }
  }
  const details = resultDetails(result);
  const parent = state.parent;
  switch (result.type) {
    case 'completed':
      delta.push(factory.make(next++, { kind: 'OrchestrationCompleted', output: result.output }));
      metadata.status = 'Completed';
      metadata.output = result.output;
      if (parent !== null) {
        items.push({
          kind: 'SubOrchCompleted',
          parentInstance: parent.instance,
          parentExecutionId: parent.executionId ?? 1,
          parentId: parent.id,
          result: result.output,
        });
      }
      break;
    case 'failed':
    case 'cancelled':
      delta.push(factory.make(next++, { kind: 'OrchestrationFailed', details: details! }));
      metadata.status = 'Failed';
      metadata.output = displayMessage(details!);
      if (parent !== null) {
        items.push({
          kind: 'SubOrchFailed',
          parentInstance: parent.instance,
          parentExecutionId: parent.executionId ?? 1,
          parentId: parent.id,
          details: details!,
        });
      }
      break;
    case 'continuedAsNew': {
      delta.push(factory.make(next++, { kind: 'OrchestrationContinuedAsNew', input: result.input }));
      metadata.status = 'ContinuedAsNew';
      metadata.output = result.input;
      items.push({
        kind: 'ContinueAsNew',
        instance: state.instance,
        orchestration: state.orchestrationName,
        input: result.input,
        ...(result.version !== null ? { version: result.version } : {}),
        carryForwardEvents: scan.unmatchedQueueMessages.slice(0, MAX_CARRY_FORWARD_EVENTS),
        ...(m.customStatus !== null ? { initialCustomStatus: m.customStatus } : {}),
        ...(parent !== null
          ? {
              parentInstance: parent.instance,
              parentId: parent.id,
              ...(parent.executionId !== undefined ? { parentExecutionId: parent.executionId } : {}),
            }
          : {}),
      });
      break;
    }
  }
}
