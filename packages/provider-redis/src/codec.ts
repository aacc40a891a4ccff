import {
  type ActivityExecuteItem,
  decodeEvent,
  decodeWorkItem,
  type Event,
  encodeEvent,
  encodeWorkItem,
  type KvEntry,
  type OrchestrationAck,
  type OrchestrationItem,
  type OrchestratorItem,
  packSemver,
  validateEvent,
  validateWorkItem,
  workItemInstance,
} from '@duroxide/core';
import { checkPayloadSize, invalidInput } from './errors.js';
import { decodeId, encodeId } from './ids.js';
import type { ScriptArg } from './script-runner.js';

/** Turns a flat `[field, value, ...]` reply into pairs. */
export function pairs(flat: unknown): [string, string][] {
  const list = Array.isArray(flat) ? (flat as string[]) : [];
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < list.length; i += 2) out.push([String(list[i]), String(list[i + 1])]);
  return out;
}

/** Decodes a history hash reply into events ordered by event id; throws on the first unreadable event. */
export function decodeHistory(flat: unknown, instance: string, executionId: number): Event[] {
  return pairs(flat)
    .map(([id, text]) => ({ id: Number(id), text }))
    .sort((a, b) => a.id - b.id)
    .map(({ id, text }) =>
      decodeEvent(text, `history event ${id} of '${instance}' execution ${executionId}`),
    );
}

/** The arguments of the enqueue/ack scripts for one orchestrator message. */
export function orchestratorItemArgs(
  op: string,
  item: OrchestratorItem,
  now: number,
  limit: number,
): ScriptArg[] {
  const checked = checkItem(op, item) as OrchestratorItem;
  if (checked.kind === ('ActivityExecute' as string)) {
    throw invalidInput(
      op,
      'ActivityExecute belongs in the worker queue (enqueueForWorker), not the orchestrator queue',
    );
  }
  const payload = encodeWorkItem(checked);
  checkPayloadSize(op, `${checked.kind} work item`, payload, limit);
  const visible = checked.kind === 'TimerFired' ? Math.floor(checked.fireAtMs) : now;
  return [encodeId(workItemInstance(checked), op), checked.kind, visible, payload];
}

/** The arguments of the enqueue/ack scripts for one activity. */
export function workerItemArgs(op: string, item: ActivityExecuteItem, limit: number): ScriptArg[] {
  const checked = checkItem(op, item);
  if (checked.kind !== 'ActivityExecute') {
    throw invalidInput(op, `only ActivityExecute items go to the worker queue, got ${checked.kind}`);
  }
  if (checked.sessionId === '') throw invalidInput(op, 'sessionId must not be an empty string');
  if (checked.tag === '') throw invalidInput(op, 'tag must not be an empty string');
  const payload = encodeWorkItem(checked);
  checkPayloadSize(op, 'ActivityExecute work item', payload, limit);
  const session = checked.sessionId == null ? '' : encodeId(checked.sessionId, op, 'session id');
  return [
    encodeId(checked.instance, op),
    checked.executionId,
    checked.id,
    session,
    checked.tag ?? '',
    payload,
  ];
}

function checkItem<T>(op: string, item: T): T {
  try {
    return validateWorkItem(item) as T;
  } catch (err) {
    throw invalidInput(op, err instanceof Error ? err.message : String(err));
  }
}

/** The `[eventId, json]...` arguments for appended events. */
export function eventArgs(op: string, events: Event[], limit: number): ScriptArg[] {
  if (!Array.isArray(events)) throw invalidInput(op, 'events must be an array');
  const out: ScriptArg[] = [events.length];
  for (const event of events) {
    try {
      validateEvent(event);
    } catch (err) {
      throw invalidInput(op, err instanceof Error ? err.message : String(err));
    }
    if (!Number.isSafeInteger(event.eventId) || event.eventId <= 0) {
      throw invalidInput(op, `event id must be a positive integer, got ${event.eventId}`);
    }
    const json = encodeEvent(event);
    checkPayloadSize(op, `event ${event.eventId} (${event.kind})`, json, limit);
    out.push(event.eventId, json);
  }
  return out;
}

/** Builds the ARGV of the ack script (after prefix and now); see ACK_ORCH for the layout. */
export function ackArgs(
  op: string,
  token: string,
  ack: OrchestrationAck,
  now: number,
  limit: number,
): ScriptArg[] {
  if (typeof ack !== 'object' || ack === null) throw invalidInput(op, 'ack must be an object');
  const { executionId, metadata = {} } = ack;
  if (!Number.isSafeInteger(executionId) || executionId <= 0) {
    throw invalidInput(op, `executionId must be a positive integer, got ${String(executionId)}`);
  }
  const delta = ack.historyDelta ?? [];
  let pinned: ScriptArg[] = ['', ''];
  if (metadata.pinnedDuroxideVersion != null) {
    try {
      pinned = [packSemver(metadata.pinnedDuroxideVersion), metadata.pinnedDuroxideVersion];
    } catch (err) {
      throw invalidInput(op, err instanceof Error ? err.message : String(err));
    }
  }
  const args: ScriptArg[] = [
    token,
    executionId,
    metadata.orchestrationName ?? '',
    metadata.orchestrationVersion ?? '',
    metadata.parentInstanceId == null ? '' : encodeId(metadata.parentInstanceId, op, 'parent instance id'),
    metadata.status ?? '',
    metadata.output == null ? '0' : '1',
    metadata.output ?? '',
    ...pinned,
    ...customStatusArgs(delta),
    ...eventArgs(op, delta, limit),
    ...kvArgs(delta),
  ];
  const work = ack.workerItems ?? [];
  args.push(work.length);
  for (const item of work) args.push(...workerItemArgs(op, item, limit));
  const cancelled = ack.cancelledActivities ?? [];
  args.push(cancelled.length);
  for (const c of cancelled) args.push(encodeId(c.instance, op), c.executionId, c.activityId);
  const orch = ack.orchestratorItems ?? [];
  args.push(orch.length);
  for (const item of orch) args.push(...orchestratorItemArgs(op, item, now, limit));
  return args;
}

/** The custom-status action of a delta: the last `CustomStatusUpdated` wins. */
function customStatusArgs(delta: Event[]): ScriptArg[] {
  for (let i = delta.length - 1; i >= 0; i--) {
    const event = delta[i];
    if (event?.kind === 'CustomStatusUpdated') return event.status === null ? ['2', ''] : ['1', event.status];
  }
  return ['0', ''];
}

/** The KV mutations of a delta, in order: set, clear one key, clear all. */
function kvArgs(delta: Event[]): ScriptArg[] {
  const ops: ScriptArg[] = [];
  let n = 0;
  for (const event of delta) {
    if (event.kind === 'KeyValueSet')
      ops.push('s', event.key, event.value, Math.floor(event.lastUpdatedAtMs));
    else if (event.kind === 'KeyValueCleared') ops.push('c', event.key, '', '');
    else if (event.kind === 'KeyValuesCleared') ops.push('a', '', '', '');
    else continue;
    n += 1;
  }
  return [n, ...ops];
}

/** The raw reply of a successful orchestration fetch (history: see FETCH_ORCH). */
export type FetchOrchReply = [
  1,
  string,
  number,
  string | null,
  string | null,
  number,
  string[],
  string[],
  string[],
  string[],
  string | null,
  number,
];

/** The execution's history, or why it could not be read (the item then carries `historyError`). */
export type LoadedHistory = { events: Event[] } | { error: string };

/**
 * Builds the `OrchestrationItem` from a fetch reply and the execution's resolved history. History that
 * cannot be decoded becomes `historyError` with an empty history; a message that cannot be decoded
 * throws (the caller releases the lock first).
 */
export function buildOrchestrationItem(reply: FetchOrchReply, loaded: LoadedHistory): OrchestrationItem {
  const [, e, cur, rowName, rowVersion, , payloads, , kvFlat, kvTsFlat] = reply;
  const instance = decodeId(e);
  const executionId = Number(cur);
  const messages = payloads.map(
    (text, i) => decodeWorkItem(String(text), `queue message ${i + 1} of '${instance}'`) as OrchestratorItem,
  );
  const history: Event[] = 'events' in loaded ? loaded.events : [];
  const historyError: string | null = 'error' in loaded ? loaded.error : null;
  let orchestrationName = rowName;
  let version = rowName === null ? null : (rowVersion ?? 'unknown');
  if (orchestrationName === null) {
    const started = history.find((ev) => ev.kind === 'OrchestrationStarted');
    const start = messages.find((m) => m.kind === 'StartOrchestration' || m.kind === 'ContinueAsNew');
    if (started?.kind === 'OrchestrationStarted') {
      orchestrationName = started.name;
      version = started.version;
    } else if (start?.kind === 'StartOrchestration' || start?.kind === 'ContinueAsNew') {
      orchestrationName = start.orchestration;
      version = start.version ?? 'unknown';
    }
  }
  const timestamps = new Map(pairs(kvTsFlat));
  const kvSnapshot: Record<string, KvEntry> = {};
  for (const [key, value] of pairs(kvFlat)) {
    kvSnapshot[key] = { value, lastUpdatedAtMs: Number(timestamps.get(key) ?? 0) };
  }
  return {
    instance,
    orchestrationName: orchestrationName ?? 'unknown',
    executionId,
    version: version ?? 'unknown',
    history,
    messages,
    historyError,
    kvSnapshot,
  };
}
