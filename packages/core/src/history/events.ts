import type { ErrorDetails } from './error-details.js';

/** Fields every history event carries, whatever its kind. */
export interface EventEnvelope {
  /** Position in this execution's history: strictly increasing, starting at 1. */
  eventId: number;
  /** The scheduling event this completion or breadcrumb answers; null otherwise. */
  sourceEventId: number | null;
  /** The instance the event belongs to. */
  instanceId: string;
  /** The execution the event belongs to. */
  executionId: number;
  /** Wall clock when the event was created (informational only). */
  timestampMs: number;
  /** Version of the runtime that wrote the event; on `OrchestrationStarted` it is the execution's pinned version. */
  duroxideVersion: string;
}

/** The kind-specific part of every history event, discriminated by `kind` (duroxide's event names). */
export type EventKind =
  | {
      kind: 'OrchestrationStarted';
      name: string;
      version: string;
      input: string;
      parentInstance?: string;
      parentId?: number;
      /** The parent's execution id (duroxide fills it from process memory; we carry it explicitly). */
      parentExecutionId?: number;
      carryForwardEvents?: [string, string][];
      initialCustomStatus?: string;
    }
  | { kind: 'OrchestrationCompleted'; output: string }
  | { kind: 'OrchestrationFailed'; details: ErrorDetails }
  | { kind: 'OrchestrationContinuedAsNew'; input: string }
  | { kind: 'OrchestrationCancelRequested'; reason: string }
  | { kind: 'ActivityScheduled'; name: string; input: string; sessionId?: string; tag?: string }
  | { kind: 'ActivityCompleted'; result: string }
  | { kind: 'ActivityFailed'; details: ErrorDetails }
  | { kind: 'ActivityCancelRequested'; reason: string }
  | { kind: 'TimerCreated'; fireAtMs: number }
  | { kind: 'TimerFired'; fireAtMs: number }
  | { kind: 'ExternalSubscribed'; name: string }
  | { kind: 'ExternalEvent'; name: string; data: string }
  | { kind: 'ExternalSubscribedCancelled'; reason: string }
  | { kind: 'QueueSubscribed'; name: string }
  | { kind: 'QueueEventDelivered'; name: string; data: string }
  | { kind: 'QueueSubscriptionCancelled'; reason: string }
  | { kind: 'OrchestrationChained'; name: string; instance: string; input: string; version?: string }
  | { kind: 'SubOrchestrationScheduled'; name: string; instance: string; input: string; version?: string }
  | { kind: 'SubOrchestrationCompleted'; result: string }
  | { kind: 'SubOrchestrationFailed'; details: ErrorDetails }
  | { kind: 'SubOrchestrationCancelRequested'; reason: string }
  | { kind: 'CustomStatusUpdated'; status: string | null }
  | { kind: 'KeyValueSet'; key: string; value: string; lastUpdatedAtMs: number }
  | { kind: 'KeyValueCleared'; key: string }
  | { kind: 'KeyValuesCleared' };

/** One history entry: the envelope plus its kind's fields, flattened. */
export type Event = EventEnvelope & EventKind;

/** The name of an event kind. */
export type EventKindName = EventKind['kind'];

/** The event of one particular kind. */
export type EventOf<K extends EventKindName> = EventEnvelope & Extract<EventKind, { kind: K }>;

/** Every event kind name, in catalogue order. */
export const EVENT_KINDS: readonly EventKindName[] = [
  'OrchestrationStarted',
  'OrchestrationCompleted',
  'OrchestrationFailed',
  'OrchestrationContinuedAsNew',
  'OrchestrationCancelRequested',
  'ActivityScheduled',
  'ActivityCompleted',
  'ActivityFailed',
  'ActivityCancelRequested',
  'TimerCreated',
  'TimerFired',
  'ExternalSubscribed',
  'ExternalEvent',
  'ExternalSubscribedCancelled',
  'QueueSubscribed',
  'QueueEventDelivered',
  'QueueSubscriptionCancelled',
  'OrchestrationChained',
  'SubOrchestrationScheduled',
  'SubOrchestrationCompleted',
  'SubOrchestrationFailed',
  'SubOrchestrationCancelRequested',
  'CustomStatusUpdated',
  'KeyValueSet',
  'KeyValueCleared',
  'KeyValuesCleared',
];

/** Whether an event ends its execution (Completed, Failed or ContinuedAsNew). */
export function isTerminalEvent(event: Event): boolean {
  return (
    event.kind === 'OrchestrationCompleted' ||
    event.kind === 'OrchestrationFailed' ||
    event.kind === 'OrchestrationContinuedAsNew'
  );
}
