import type { Event } from '../history/events.js';
import { type ScheduleKind, scheduleKindOf } from './action-matching.js';
import type { HistoryScan } from './history-scan.js';

/** The parts of a history scan a resumed turn needs: batch correlation and dropped-future bookkeeping. */
export type TurnScan = Pick<
  HistoryScan,
  'schedules' | 'subOrchestrationInstances' | 'breadcrumbs' | 'cancelReason'
>;

/**
 * A history scan kept up to date event by event, so a resumed turn (instance cache) costs the size of
 * its batch instead of the size of the history. Holds exactly what `scanHistory` and `completedSourcesOf`
 * would compute for these fields over the same events.
 */
export class LiveScan implements TurnScan {
  /** Every schedule event id and its kind. */
  readonly schedules = new Map<number, ScheduleKind>();
  /** Child instance id of every sub-orchestration schedule. */
  readonly subOrchestrationInstances = new Map<number, string>();
  /** Sources that already have a cancel breadcrumb (any reason). */
  readonly breadcrumbs = new Set<number>();
  /** Sources that already have a completion of any kind. */
  readonly completedSources = new Set<number>();
  /** Reason of the first `OrchestrationCancelRequested`, or null. */
  cancelReason: string | null = null;

  /** A scan of `events`. */
  static of(events: readonly Event[]): LiveScan {
    const scan = new LiveScan();
    scan.addAll(events);
    return scan;
  }

  /** Folds events appended to the history into the scan. */
  addAll(events: readonly Event[]): void {
    for (const event of events) this.add(event);
  }

  /** Folds one appended event into the scan. */
  add(e: Event): void {
    const kind = scheduleKindOf(e);
    if (kind !== null) this.schedules.set(e.eventId, kind);
    switch (e.kind) {
      case 'SubOrchestrationScheduled':
        this.subOrchestrationInstances.set(e.eventId, e.instance);
        break;
      case 'ActivityCompleted':
      case 'ActivityFailed':
      case 'TimerFired':
      case 'SubOrchestrationCompleted':
      case 'SubOrchestrationFailed':
        if (e.sourceEventId !== null) this.completedSources.add(e.sourceEventId);
        break;
      case 'ActivityCancelRequested':
      case 'SubOrchestrationCancelRequested':
      case 'ExternalSubscribedCancelled':
      case 'QueueSubscriptionCancelled':
        this.breadcrumbs.add(e.sourceEventId ?? -1);
        break;
      case 'OrchestrationCancelRequested':
        this.cancelReason ??= e.reason;
        break;
      default:
        break;
    }
  }
}
