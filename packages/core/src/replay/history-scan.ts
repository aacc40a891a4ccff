import type { Event } from '../history/events.js';
import { type ScheduleKind, scheduleKindOf } from './action-matching.js';

/** Cancellable schedule categories and the breadcrumb each writes. */
export type CancelCategory = 'activity' | 'subOrchestration' | 'wait' | 'dequeue';

/** The breadcrumb event kind of each category (duroxide §3.10). */
export const BREADCRUMB_KIND = {
  activity: 'ActivityCancelRequested',
  subOrchestration: 'SubOrchestrationCancelRequested',
  wait: 'ExternalSubscribedCancelled',
  dequeue: 'QueueSubscriptionCancelled',
} as const;

/** Reason written for futures dropped by code (race losers, `cancel()`, pending at completion). */
export const DROPPED_FUTURE = 'dropped_future';

/** What a history says about its schedules (duroxide §4.11 plus the carry-forward computation). */
export interface HistoryScan {
  /** Every schedule event id and its kind. */
  schedules: Map<number, ScheduleKind>;
  /** Child instance id of every sub-orchestration schedule. */
  subOrchestrationInstances: Map<number, string>;
  /** Sources that already have a cancel breadcrumb (any reason). */
  breadcrumbs: Set<number>;
  /** Activities scheduled, not completed or failed, without a cancel breadcrumb, in history order. */
  outstandingActivities: number[];
  /** Sub-orchestrations not completed or failed and not cancel-requested, with their child ids. */
  outstandingSubOrchestrations: { id: number; instance: string }[];
  /** External subscriptions not filled and not cancelled. */
  outstandingWaits: number[];
  /** Queue consumers not satisfied and not cancelled. */
  outstandingDequeues: number[];
  /** Queue messages no consumer took, in history order, as `[queue, data]`. */
  unmatchedQueueMessages: [string, string][];
  /** Reason of the first `OrchestrationCancelRequested`, or null. */
  cancelReason: string | null;
}

/** Scans a history once for open schedules, breadcrumbs, subscriptions and unconsumed queue messages. */
export function scanHistory(events: readonly Event[]): HistoryScan {
  const schedules = new Map<number, ScheduleKind>();
  const breadcrumbs = new Set<number>();
  const activities = new Set<number>();
  const subs = new Map<number, string>();
  const subInstances = new Map<number, string>();
  const waits = new Map<string, number[]>();
  const consumers = new Map<string, number[]>();
  const mailbox = new Map<string, { seq: number; data: string }[]>();
  let seq = 0;
  let cancelReason: string | null = null;
  // A subscription cancelled anywhere never takes part in matching (duroxide's index rule).
  const cancelledSubs = new Set<number>();
  for (const e of events) {
    if (e.kind === 'ExternalSubscribedCancelled' || e.kind === 'QueueSubscriptionCancelled') {
      cancelledSubs.add(e.sourceEventId ?? -1);
    }
  }
  for (const e of events) {
    const kind = scheduleKindOf(e);
    if (kind !== null) schedules.set(e.eventId, kind);
    switch (e.kind) {
      case 'ActivityScheduled':
        activities.add(e.eventId);
        break;
      case 'SubOrchestrationScheduled':
        subs.set(e.eventId, e.instance);
        subInstances.set(e.eventId, e.instance);
        break;
      case 'ExternalSubscribed':
        if (!cancelledSubs.has(e.eventId)) pushTo(waits, e.name, e.eventId);
        break;
      case 'QueueSubscribed': {
        if (cancelledSubs.has(e.eventId)) break;
        const box = mailbox.get(e.name);
        if (box !== undefined && box.length > 0) box.shift();
        else pushTo(consumers, e.name, e.eventId);
        break;
      }
      case 'ActivityCompleted':
      case 'ActivityFailed':
        activities.delete(e.sourceEventId ?? -1);
        break;
      case 'SubOrchestrationCompleted':
      case 'SubOrchestrationFailed':
        subs.delete(e.sourceEventId ?? -1);
        break;
      case 'ActivityCancelRequested':
        breadcrumbs.add(e.sourceEventId ?? -1);
        activities.delete(e.sourceEventId ?? -1);
        break;
      case 'SubOrchestrationCancelRequested':
        breadcrumbs.add(e.sourceEventId ?? -1);
        subs.delete(e.sourceEventId ?? -1);
        break;
      case 'ExternalSubscribedCancelled':
      case 'QueueSubscriptionCancelled':
        breadcrumbs.add(e.sourceEventId ?? -1);
        break;
      case 'ExternalEvent':
        waits.get(e.name)?.shift();
        break;
      case 'QueueEventDelivered': {
        const waiting = consumers.get(e.name);
        if (waiting !== undefined && waiting.length > 0) waiting.shift();
        else pushTo(mailbox, e.name, { seq: seq++, data: e.data });
        break;
      }
      case 'OrchestrationCancelRequested':
        cancelReason ??= e.reason;
        break;
      default:
        break;
    }
  }
  const unmatched = [...mailbox.entries()]
    .flatMap(([name, items]) => items.map((item) => ({ name, ...item })))
    .sort((a, b) => a.seq - b.seq)
    .map((m): [string, string] => [m.name, m.data]);
  return {
    schedules,
    subOrchestrationInstances: subInstances,
    breadcrumbs,
    outstandingActivities: [...activities],
    outstandingSubOrchestrations: [...subs].map(([id, instance]) => ({ id, instance })),
    outstandingWaits: [...waits.values()].flat().sort((a, b) => a - b),
    outstandingDequeues: [...consumers.values()].flat().sort((a, b) => a - b),
    unmatchedQueueMessages: unmatched,
    cancelReason,
  };
}

function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** Sources of `dropped_future` breadcrumbs per category in a (persisted) history (§4.8 set B). */
export function droppedBreadcrumbs(events: readonly Event[]): Record<CancelCategory, Set<number>> {
  const out: Record<CancelCategory, Set<number>> = {
    activity: new Set(),
    subOrchestration: new Set(),
    wait: new Set(),
    dequeue: new Set(),
  };
  for (const e of events) {
    if (!('reason' in e) || e.reason !== DROPPED_FUTURE || e.sourceEventId === null) continue;
    if (e.kind === 'ActivityCancelRequested') out.activity.add(e.sourceEventId);
    else if (e.kind === 'SubOrchestrationCancelRequested') out.subOrchestration.add(e.sourceEventId);
    else if (e.kind === 'ExternalSubscribedCancelled') out.wait.add(e.sourceEventId);
    else if (e.kind === 'QueueSubscriptionCancelled') out.dequeue.add(e.sourceEventId);
  }
  return out;
}
