import {
  type ActivityExecuteItem,
  encodeEvent,
  encodeWorkItem,
  type OrchestrationAck,
  type OrchestratorItem,
  parseSemver,
  validateEvent,
  validateWorkItem,
  workItemInstance,
} from '@duroxide/core';
import { checkPayloadSize, checkString, invalidInput } from './errors.js';

const OP = 'ackOrchestrationItem';

/**
 * Turns an ack into the positional parameters of `ack_orchestration_item`: parallel arrays for events,
 * worker items, orchestrator items, KV mutations and cancellations, plus the custom-status action. All
 * validation happens here, before anything is sent, so bad input never reaches the database.
 */
export function digestAck(
  lockToken: string,
  ack: OrchestrationAck,
  now: number,
  maxPayloadBytes: number,
): unknown[] {
  checkString(OP, 'lockToken', lockToken);
  if (typeof ack !== 'object' || ack === null) throw invalidInput(OP, 'ack must be an object');
  const executionId = ack.executionId;
  if (!Number.isSafeInteger(executionId) || executionId < 1) {
    throw invalidInput(OP, `executionId must be a positive integer, got ${String(executionId)}`);
  }
  const events = digestEvents(ack, maxPayloadBytes);
  const workers = digestWorkerItems(ack.workerItems ?? [], maxPayloadBytes);
  const orchestrator = digestOrchestratorItems(ack.orchestratorItems ?? [], now, maxPayloadBytes);
  const meta = ack.metadata ?? {};
  const pinned = meta.pinnedDuroxideVersion === undefined ? null : pinnedVersion(meta.pinnedDuroxideVersion);
  const cancelled = ack.cancelledActivities ?? [];
  return [
    lockToken,
    now,
    executionId,
    events.ids,
    events.kinds,
    events.data,
    workers.instances,
    workers.execs,
    workers.ids,
    workers.sessions,
    workers.tags,
    workers.items,
    orchestrator.instances,
    orchestrator.kinds,
    orchestrator.items,
    orchestrator.visible,
    meta.status ?? null,
    meta.output ?? null,
    meta.orchestrationName ?? null,
    meta.orchestrationVersion ?? null,
    meta.parentInstanceId ?? null,
    pinned?.major ?? null,
    pinned?.minor ?? null,
    pinned?.patch ?? null,
    events.customStatusAction,
    events.customStatusValue,
    events.kvOps,
    events.kvKeys,
    events.kvValues,
    events.kvTimes,
    cancelled.map((c) => checkString(OP, 'cancelledActivities[].instance', c.instance)),
    cancelled.map((c) => c.executionId),
    cancelled.map((c) => c.activityId),
  ];
}

function digestEvents(ack: OrchestrationAck, maxPayloadBytes: number) {
  const out = {
    ids: [] as number[],
    kinds: [] as string[],
    data: [] as string[],
    customStatusAction: 0,
    customStatusValue: null as string | null,
    kvOps: [] as string[],
    kvKeys: [] as (string | null)[],
    kvValues: [] as (string | null)[],
    kvTimes: [] as (number | null)[],
  };
  for (const raw of ack.historyDelta ?? []) {
    let event: ReturnType<typeof validateEvent>;
    try {
      event = validateEvent(raw, 'history delta event');
    } catch (err) {
      throw invalidInput(OP, (err as Error).message);
    }
    const text = encodeEvent(event);
    checkPayloadSize(OP, `event ${event.eventId} (${event.kind})`, text, maxPayloadBytes);
    out.ids.push(event.eventId);
    out.kinds.push(event.kind);
    out.data.push(text);
    if (event.kind === 'CustomStatusUpdated') {
      // Only the last update of the turn counts; null clears (and still bumps the version).
      out.customStatusAction = event.status === null ? 2 : 1;
      out.customStatusValue = event.status;
    } else if (event.kind === 'KeyValueSet') {
      out.kvOps.push('set');
      out.kvKeys.push(event.key);
      out.kvValues.push(event.value);
      out.kvTimes.push(event.lastUpdatedAtMs);
    } else if (event.kind === 'KeyValueCleared') {
      out.kvOps.push('clear');
      out.kvKeys.push(event.key);
      out.kvValues.push(null);
      out.kvTimes.push(null);
    } else if (event.kind === 'KeyValuesCleared') {
      out.kvOps.push('clear_all');
      out.kvKeys.push(null);
      out.kvValues.push(null);
      out.kvTimes.push(null);
    }
  }
  return out;
}

function digestWorkerItems(items: ActivityExecuteItem[], maxPayloadBytes: number) {
  const out = {
    instances: [] as string[],
    execs: [] as number[],
    ids: [] as number[],
    sessions: [] as (string | null)[],
    tags: [] as (string | null)[],
    items: [] as string[],
  };
  for (const item of items) {
    const checked = checkItem(item, 'workerItems[]');
    if (checked.kind !== 'ActivityExecute') {
      throw invalidInput(OP, `workerItems may only hold ActivityExecute items, got ${checked.kind}`);
    }
    const text = encodeWorkItem(checked);
    checkPayloadSize(OP, `activity ${checked.id} (${checked.name})`, text, maxPayloadBytes);
    out.instances.push(checkString(OP, 'workerItems[].instance', checked.instance));
    out.execs.push(checked.executionId);
    out.ids.push(checked.id);
    out.sessions.push(checked.sessionId ?? null);
    out.tags.push(checked.tag ?? null);
    out.items.push(text);
  }
  return out;
}

function digestOrchestratorItems(items: OrchestratorItem[], now: number, maxPayloadBytes: number) {
  const out = {
    instances: [] as string[],
    kinds: [] as string[],
    items: [] as string[],
    visible: [] as number[],
  };
  for (const item of items) {
    const checked = checkOrchestratorItem(OP, item, 'orchestratorItems[]');
    const text = encodeWorkItem(checked);
    checkPayloadSize(OP, `orchestrator message (${checked.kind})`, text, maxPayloadBytes);
    out.instances.push(checkString(OP, 'orchestratorItems[] instance', workItemInstance(checked)));
    out.kinds.push(checked.kind);
    out.items.push(text);
    // A timer is invisible until it fires; everything else is visible at once.
    out.visible.push(checked.kind === 'TimerFired' && checked.fireAtMs > 0 ? checked.fireAtMs : now);
  }
  return out;
}

/** Validates an orchestrator-queue item; an `ActivityExecute` there is a permanent bad-input error. */
export function checkOrchestratorItem(operation: string, item: unknown, what: string): OrchestratorItem {
  const checked = checkItem(item, what, operation);
  if (checked.kind === 'ActivityExecute') {
    throw invalidInput(
      operation,
      `${what}: ActivityExecute belongs in the worker queue, not the orchestrator queue`,
    );
  }
  return checked;
}

function checkItem(item: unknown, what: string, operation = OP) {
  try {
    return validateWorkItem(item, what);
  } catch (err) {
    throw invalidInput(operation, (err as Error).message);
  }
}

function pinnedVersion(version: string) {
  try {
    return parseSemver(version, 'metadata.pinnedDuroxideVersion');
  } catch (err) {
    throw invalidInput(OP, (err as Error).message);
  }
}
