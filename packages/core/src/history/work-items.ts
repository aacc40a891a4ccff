import type { ErrorDetails } from './error-details.js';

/** Starts an instance (client start, sub-orchestration, detached start); always targets execution 1. */
export interface StartOrchestrationItem {
  kind: 'StartOrchestration';
  instance: string;
  orchestration: string;
  input: string;
  /** Exact version to run; absent means the registry's policy (latest). */
  version?: string;
  parentInstance?: string;
  parentId?: number;
  parentExecutionId?: number;
  executionId: number;
}

/** Starts the next execution of an instance that continued as new. */
export interface ContinueAsNewItem {
  kind: 'ContinueAsNew';
  instance: string;
  orchestration: string;
  input: string;
  version?: string;
  /** Unconsumed queue messages carried into the new execution, as `[queueName, data]`. */
  carryForwardEvents: [string, string][];
  initialCustomStatus?: string;
  /** Kept across continue-as-new so a child that continues as new still reports to its parent. */
  parentInstance?: string;
  parentId?: number;
  parentExecutionId?: number;
}

/** Runs one activity (the only worker-queue item). */
export interface ActivityExecuteItem {
  kind: 'ActivityExecute';
  instance: string;
  executionId: number;
  /** The event id of the `ActivityScheduled` event. */
  id: number;
  name: string;
  input: string;
  sessionId?: string;
  tag?: string;
}

/** An activity finished successfully. */
export interface ActivityCompletedItem {
  kind: 'ActivityCompleted';
  instance: string;
  executionId: number;
  id: number;
  result: string;
}

/** An activity failed (application error or poison). */
export interface ActivityFailedItem {
  kind: 'ActivityFailed';
  instance: string;
  executionId: number;
  id: number;
  details: ErrorDetails;
}

/** A durable timer fired; enqueued at schedule time and invisible until `fireAtMs`. */
export interface TimerFiredItem {
  kind: 'TimerFired';
  instance: string;
  executionId: number;
  id: number;
  fireAtMs: number;
}

/** An external event raised by a client (positional, ephemeral). */
export interface ExternalRaisedItem {
  kind: 'ExternalRaised';
  instance: string;
  name: string;
  data: string;
}

/** A message for a persistent FIFO event queue. */
export interface QueueMessageItem {
  kind: 'QueueMessage';
  instance: string;
  name: string;
  data: string;
}

/** A child completed; routed to the parent instance. */
export interface SubOrchCompletedItem {
  kind: 'SubOrchCompleted';
  parentInstance: string;
  parentExecutionId: number;
  parentId: number;
  result: string;
}

/** A child failed; routed to the parent instance. */
export interface SubOrchFailedItem {
  kind: 'SubOrchFailed';
  parentInstance: string;
  parentExecutionId: number;
  parentId: number;
  details: ErrorDetails;
}

/** Requests cancellation of an instance. */
export interface CancelInstanceItem {
  kind: 'CancelInstance';
  instance: string;
  reason: string;
}

/** Every message the two queues carry. */
export type WorkItem =
  | StartOrchestrationItem
  | ContinueAsNewItem
  | ActivityExecuteItem
  | ActivityCompletedItem
  | ActivityFailedItem
  | TimerFiredItem
  | ExternalRaisedItem
  | QueueMessageItem
  | SubOrchCompletedItem
  | SubOrchFailedItem
  | CancelInstanceItem;

/** Messages that belong in the orchestrator queue. */
export type OrchestratorItem = Exclude<WorkItem, ActivityExecuteItem>;

/** The name of a work item kind. */
export type WorkItemKindName = WorkItem['kind'];

/** Every work item kind name. */
export const WORK_ITEM_KINDS: readonly WorkItemKindName[] = [
  'StartOrchestration',
  'ContinueAsNew',
  'ActivityExecute',
  'ActivityCompleted',
  'ActivityFailed',
  'TimerFired',
  'ExternalRaised',
  'QueueMessage',
  'SubOrchCompleted',
  'SubOrchFailed',
  'CancelInstance',
];

/** The instance an item is routed to (the parent for sub-orchestration results). */
export function workItemInstance(item: WorkItem): string {
  return item.kind === 'SubOrchCompleted' || item.kind === 'SubOrchFailed'
    ? item.parentInstance
    : item.instance;
}
