import { DurableError } from '../errors.js';
import type { ErrorDetails } from './error-details.js';
import { EVENT_KINDS, type Event, type EventKindName } from './events.js';
import { WORK_ITEM_KINDS, type WorkItem, type WorkItemKindName } from './work-items.js';

type FieldType = 'string' | 'number' | 'details' | 'pairs' | 'stringOrNull';
type Schema = Record<string, [FieldType, 'required' | 'optional']>;

const R = 'required' as const;
const O = 'optional' as const;

const EVENT_SCHEMAS: Record<EventKindName, Schema> = {
  OrchestrationStarted: {
    name: ['string', R],
    version: ['string', R],
    input: ['string', R],
    parentInstance: ['string', O],
    parentId: ['number', O],
    parentExecutionId: ['number', O],
    carryForwardEvents: ['pairs', O],
    initialCustomStatus: ['string', O],
  },
  OrchestrationCompleted: { output: ['string', R] },
  OrchestrationFailed: { details: ['details', R] },
  OrchestrationContinuedAsNew: { input: ['string', R] },
  OrchestrationCancelRequested: { reason: ['string', R] },
  ActivityScheduled: {
    name: ['string', R],
    input: ['string', R],
    sessionId: ['string', O],
    tag: ['string', O],
  },
  ActivityCompleted: { result: ['string', R] },
  ActivityFailed: { details: ['details', R] },
  ActivityCancelRequested: { reason: ['string', R] },
  TimerCreated: { fireAtMs: ['number', R] },
  TimerFired: { fireAtMs: ['number', R] },
  ExternalSubscribed: { name: ['string', R] },
  ExternalEvent: { name: ['string', R], data: ['string', R] },
  ExternalSubscribedCancelled: { reason: ['string', R] },
  QueueSubscribed: { name: ['string', R] },
  QueueEventDelivered: { name: ['string', R], data: ['string', R] },
  QueueSubscriptionCancelled: { reason: ['string', R] },
  OrchestrationChained: {
    name: ['string', R],
    instance: ['string', R],
    input: ['string', R],
    version: ['string', O],
  },
  SubOrchestrationScheduled: {
    name: ['string', R],
    instance: ['string', R],
    input: ['string', R],
    version: ['string', O],
  },
  SubOrchestrationCompleted: { result: ['string', R] },
  SubOrchestrationFailed: { details: ['details', R] },
  SubOrchestrationCancelRequested: { reason: ['string', R] },
  CustomStatusUpdated: { status: ['stringOrNull', R] },
  KeyValueSet: { key: ['string', R], value: ['string', R], lastUpdatedAtMs: ['number', R] },
  KeyValueCleared: { key: ['string', R] },
  KeyValuesCleared: {},
};

const PARENT: Schema = {
  parentInstance: ['string', O],
  parentId: ['number', O],
  parentExecutionId: ['number', O],
};

const WORK_ITEM_SCHEMAS: Record<WorkItemKindName, Schema> = {
  StartOrchestration: {
    instance: ['string', R],
    orchestration: ['string', R],
    input: ['string', R],
    version: ['string', O],
    executionId: ['number', R],
    ...PARENT,
  },
  ContinueAsNew: {
    instance: ['string', R],
    orchestration: ['string', R],
    input: ['string', R],
    version: ['string', O],
    carryForwardEvents: ['pairs', R],
    initialCustomStatus: ['string', O],
    ...PARENT,
  },
  ActivityExecute: {
    instance: ['string', R],
    executionId: ['number', R],
    id: ['number', R],
    name: ['string', R],
    input: ['string', R],
    sessionId: ['string', O],
    tag: ['string', O],
  },
  ActivityCompleted: {
    instance: ['string', R],
    executionId: ['number', R],
    id: ['number', R],
    result: ['string', R],
  },
  ActivityFailed: {
    instance: ['string', R],
    executionId: ['number', R],
    id: ['number', R],
    details: ['details', R],
  },
  TimerFired: {
    instance: ['string', R],
    executionId: ['number', R],
    id: ['number', R],
    fireAtMs: ['number', R],
  },
  ExternalRaised: { instance: ['string', R], name: ['string', R], data: ['string', R] },
  QueueMessage: { instance: ['string', R], name: ['string', R], data: ['string', R] },
  SubOrchCompleted: {
    parentInstance: ['string', R],
    parentExecutionId: ['number', R],
    parentId: ['number', R],
    result: ['string', R],
  },
  SubOrchFailed: {
    parentInstance: ['string', R],
    parentExecutionId: ['number', R],
    parentId: ['number', R],
    details: ['details', R],
  },
  CancelInstance: { instance: ['string', R], reason: ['string', R] },
};

const ENVELOPE: Schema = {
  eventId: ['number', R],
  sourceEventId: ['number', O],
  instanceId: ['string', R],
  executionId: ['number', R],
  timestampMs: ['number', R],
  duroxideVersion: ['string', R],
};

const EVENT_KIND_SET = new Set<string>(EVENT_KINDS);
const WORK_ITEM_KIND_SET = new Set<string>(WORK_ITEM_KINDS);

/** Thrown when a stored record cannot be read back; the message names the record and the problem. */
export function corruptRecord(record: string, problem: string, cause?: unknown): DurableError {
  return new DurableError(
    'CORRUPT_RECORD',
    `corrupt ${record}: ${problem}`,
    cause === undefined ? {} : { cause },
  );
}

/** Serializes an event for storage (camelCase JSON, the same shape the management API returns). */
export function encodeEvent(event: Event): string {
  return JSON.stringify(event);
}

/** Parses and validates a stored event; throws a `CORRUPT_RECORD` error naming `record` when malformed. */
export function decodeEvent(text: string, record = 'history event'): Event {
  const obj = parseObject(text, record);
  const kind = obj.kind;
  if (typeof kind !== 'string' || !EVENT_KIND_SET.has(kind)) {
    throw corruptRecord(record, `unknown event kind ${JSON.stringify(kind)}`);
  }
  checkFields(obj, ENVELOPE, record);
  checkFields(obj, EVENT_SCHEMAS[kind as EventKindName], record);
  if (obj.sourceEventId === undefined) obj.sourceEventId = null;
  return obj as unknown as Event;
}

/** Validates an in-memory event before storing it; throws a `CORRUPT_RECORD` error when malformed. */
export function validateEvent(event: unknown, record = 'history event'): Event {
  if (typeof event !== 'object' || event === null) throw corruptRecord(record, 'not an object');
  const obj = event as Record<string, unknown>;
  if (typeof obj.kind !== 'string' || !EVENT_KIND_SET.has(obj.kind)) {
    throw corruptRecord(record, `unknown event kind ${JSON.stringify(obj.kind)}`);
  }
  checkFields(obj, ENVELOPE, record);
  checkFields(obj, EVENT_SCHEMAS[obj.kind as EventKindName], record);
  return event as Event;
}

/** Serializes a work item for a queue row. */
export function encodeWorkItem(item: WorkItem): string {
  return JSON.stringify(item);
}

/** Parses and validates a queued work item; throws a `CORRUPT_RECORD` error naming `record` when malformed. */
export function decodeWorkItem(text: string, record = 'queue message'): WorkItem {
  return validateWorkItem(parseObject(text, record), record);
}

/** Validates an in-memory work item; throws a `CORRUPT_RECORD` error when malformed. */
export function validateWorkItem(item: unknown, record = 'work item'): WorkItem {
  if (typeof item !== 'object' || item === null) throw corruptRecord(record, 'not an object');
  const obj = item as Record<string, unknown>;
  if (typeof obj.kind !== 'string' || !WORK_ITEM_KIND_SET.has(obj.kind)) {
    throw corruptRecord(record, `unknown work item kind ${JSON.stringify(obj.kind)}`);
  }
  checkFields(obj, WORK_ITEM_SCHEMAS[obj.kind as WorkItemKindName], record);
  return item as WorkItem;
}

function parseObject(text: string, record: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corruptRecord(record, `invalid JSON (${(err as Error).message})`, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw corruptRecord(record, 'expected a JSON object');
  }
  return value as Record<string, unknown>;
}

function checkFields(obj: Record<string, unknown>, schema: Schema, record: string): void {
  for (const field in schema) {
    const [type, presence] = schema[field]!;
    const value = obj[field];
    if (value === undefined || (value === null && presence === 'optional')) {
      if (presence === 'required') throw corruptRecord(record, `missing field '${field}'`);
      continue;
    }
    if (!hasType(value, type)) {
      throw corruptRecord(
        record,
        `field '${field}' should be ${describe(type)}, got ${JSON.stringify(value)}`,
      );
    }
  }
}

function hasType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'stringOrNull':
      return value === null || typeof value === 'string';
    case 'pairs':
      return (
        Array.isArray(value) &&
        value.every(
          (p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string',
        )
      );
    case 'details':
      return isErrorDetails(value);
  }
}

function describe(type: FieldType): string {
  return type === 'pairs'
    ? 'an array of [name, data] pairs'
    : type === 'details'
      ? 'error details'
      : `a ${type}`;
}

/** Whether a value has the shape of `ErrorDetails`. */
export function isErrorDetails(value: unknown): value is ErrorDetails {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  switch (v.category) {
    case 'infrastructure':
      return (
        typeof v.operation === 'string' && typeof v.message === 'string' && typeof v.retryable === 'boolean'
      );
    case 'configuration':
      return (
        v.kind === 'Nondeterminism' &&
        typeof v.resource === 'string' &&
        (v.message === null || typeof v.message === 'string')
      );
    case 'application':
      return (
        typeof v.message === 'string' &&
        typeof v.retryable === 'boolean' &&
        typeof v.kind === 'object' &&
        v.kind !== null &&
        typeof (v.kind as Record<string, unknown>).type === 'string'
      );
    case 'poison':
      return (
        typeof v.attemptCount === 'number' &&
        typeof v.maxAttempts === 'number' &&
        typeof v.message === 'string'
      );
    default:
      return false;
  }
}
