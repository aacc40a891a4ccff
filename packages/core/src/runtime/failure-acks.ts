import { displayMessage, type ErrorDetails, infrastructureFailure } from '../history/error-details.js';
import type { Event, EventKind, EventOf } from '../history/events.js';
import type { ContinueAsNewItem, OrchestratorItem, StartOrchestrationItem } from '../history/work-items.js';
import type {
  ExecutionMetadata,
  OrchestrationAck,
  OrchestrationItem,
} from '../provider/provider-contract.js';
import { DUROXIDE_VERSION } from '../version.js';

/** duroxide's event id for the failure of an instance whose history cannot be read. */
export const UNREADABLE_HISTORY_EVENT_ID = 99_999;

type Started = EventOf<'OrchestrationStarted'>;

/** Which execution a runtime-made failure is written to. */
export interface FailureTarget {
  executionId: number;
  /** True when the execution has no stored history yet (a start or continue-as-new batch). */
  isNewExecution: boolean;
}

function makeEvent(
  instance: string,
  executionId: number,
  eventId: number,
  nowMs: number,
  kind: EventKind,
): Event {
  return {
    eventId,
    sourceEventId: null,
    instanceId: instance,
    executionId,
    timestampMs: nowMs,
    duroxideVersion: DUROXIDE_VERSION,
    ...kind,
  } as Event;
}

function startedOf(history: Event[]): Started | undefined {
  return history.find((e): e is Started => e.kind === 'OrchestrationStarted');
}

/** The start or continue-as-new message that opens `target`'s execution, if the batch has one. */
function startMessage(
  messages: OrchestratorItem[],
  target: FailureTarget,
): StartOrchestrationItem | ContinueAsNewItem | undefined {
  const wanted = target.executionId > 1 ? 'ContinueAsNew' : 'StartOrchestration';
  return messages.find((m): m is StartOrchestrationItem | ContinueAsNewItem => m.kind === wanted);
}

/** An `OrchestrationStarted` built from the batch so a failed instance exists even when it never ran. */
function synthesizeStarted(
  item: OrchestrationItem,
  target: FailureTarget,
  nowMs: number,
  fallbackVersion: string | null,
): Started {
  const msg = startMessage(item.messages, target);
  const kind: EventKind = {
    kind: 'OrchestrationStarted',
    name: msg?.orchestration ?? item.orchestrationName,
    version: msg?.version ?? fallbackVersion ?? '0.0.0',
    input: msg?.input ?? '',
  };
  if (msg?.parentInstance !== undefined && msg.parentId !== undefined) {
    kind.parentInstance = msg.parentInstance;
    kind.parentId = msg.parentId;
    if (msg.parentExecutionId !== undefined) kind.parentExecutionId = msg.parentExecutionId;
  }
  return makeEvent(item.instance, target.executionId, 1, nowMs, kind) as Started;
}

/** The SubOrchFailed message for the parent, when the execution was started by one. */
function parentNotification(started: Started | undefined, details: ErrorDetails): OrchestratorItem[] {
  if (started?.parentInstance === undefined || started.parentId === undefined) return [];
  return [
    {
      kind: 'SubOrchFailed',
      parentInstance: started.parentInstance,
      parentExecutionId: started.parentExecutionId ?? 1,
      parentId: started.parentId,
      details,
    },
  ];
}

function failedMetadata(
  started: Started | undefined,
  details: ErrorDetails,
  isNew: boolean,
): ExecutionMetadata {
  const metadata: ExecutionMetadata = { status: 'Failed', output: displayMessage(details) };
  if (started) {
    metadata.orchestrationName = started.name;
    metadata.orchestrationVersion = started.version;
    if (started.parentInstance !== undefined) metadata.parentInstanceId = started.parentInstance;
    if (isNew) metadata.pinnedDuroxideVersion = started.duroxideVersion;
  }
  return metadata;
}

/** Appends an `OrchestrationFailed` to `history` (which may start with a fresh `OrchestrationStarted`). */
function failAck(
  item: OrchestrationItem,
  target: FailureTarget,
  persisted: Event[],
  freshStarted: Started | undefined,
  details: ErrorDetails,
  nowMs: number,
): OrchestrationAck {
  const delta: Event[] = freshStarted ? [freshStarted] : [];
  const last = delta[delta.length - 1] ?? persisted[persisted.length - 1];
  const started = freshStarted ?? startedOf(persisted);
  delta.push(
    makeEvent(item.instance, target.executionId, (last?.eventId ?? 0) + 1, nowMs, {
      kind: 'OrchestrationFailed',
      details,
    }),
  );
  return {
    executionId: target.executionId,
    historyDelta: delta,
    workerItems: [],
    orchestratorItems: parentNotification(started, details),
    metadata: failedMetadata(started, details, freshStarted !== undefined),
    cancelledActivities: [],
  };
}

/**
 * The poison ack (§5.3 processing step 1): the execution fails with `Poison` listing the batch's messages,
 * an `OrchestrationStarted` is synthesized when the execution has none, and a parent gets SubOrchFailed.
 */
export function buildPoisonAck(
  item: OrchestrationItem,
  target: FailureTarget,
  attemptCount: number,
  maxAttempts: number,
  nowMs: number,
  fallbackVersion: string | null,
): OrchestrationAck {
  const details: ErrorDetails = {
    category: 'poison',
    attemptCount,
    maxAttempts,
    messageType: { type: 'Orchestration', instance: item.instance, executionId: target.executionId },
    message: JSON.stringify(item.messages),
  };
  const persisted = target.isNewExecution ? [] : item.history;
  const fresh = persisted.length === 0 ? synthesizeStarted(item, target, nowMs, fallbackVersion) : undefined;
  return failAck(item, target, persisted, fresh, details, nowMs);
}

/** The poison ack for an unreadable history: one `OrchestrationFailed` with duroxide's sentinel event id. */
export function buildUnreadableHistoryPoisonAck(
  item: OrchestrationItem,
  attemptCount: number,
  maxAttempts: number,
  nowMs: number,
): OrchestrationAck {
  const error = item.historyError ?? 'unreadable history';
  const details: ErrorDetails = {
    category: 'poison',
    attemptCount,
    maxAttempts,
    messageType: {
      type: 'FailedDeserialization',
      instance: item.instance,
      executionId: item.executionId,
      error,
    },
    message: error,
  };
  return {
    executionId: item.executionId,
    historyDelta: [
      makeEvent(item.instance, item.executionId, UNREADABLE_HISTORY_EVENT_ID, nowMs, {
        kind: 'OrchestrationFailed',
        details,
      }),
    ],
    workerItems: [],
    orchestratorItems: [],
    metadata: { status: 'Failed', output: displayMessage(details) },
    cancelledActivities: [],
  };
}

/**
 * The fallback when a turn's ack cannot be committed (§5.3 step 11): the turn's effects are dropped and the
 * execution fails with an Infrastructure error built on the stored history (keeping a fresh
 * `OrchestrationStarted` so a new execution still exists).
 */
export function buildInfrastructureFailureAck(
  item: OrchestrationItem,
  target: FailureTarget,
  turnAck: OrchestrationAck,
  error: { message: string; retryable: boolean },
  nowMs: number,
): OrchestrationAck {
  const details = infrastructureFailure('ackOrchestrationItem', error.message, error.retryable);
  const persisted = target.isNewExecution ? [] : item.history;
  const fresh = target.isNewExecution ? startedOf(turnAck.historyDelta) : undefined;
  const ack = failAck(item, target, persisted, fresh, details, nowMs);
  if (fresh && turnAck.metadata.pinnedDuroxideVersion !== undefined) {
    ack.metadata.pinnedDuroxideVersion = turnAck.metadata.pinnedDuroxideVersion;
  }
  return ack;
}
