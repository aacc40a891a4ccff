import { type ErrorDetails, nondeterminismFailure, orchestrationFailure } from '../history/error-details.js';
import type { Event } from '../history/events.js';
import { encodePayload } from '../history/payload.js';
import type { DurableTaskImpl } from './durable-task.js';
import type { EventFactory } from './event-factory.js';
import {
  BREADCRUMB_KIND,
  type CancelCategory,
  DROPPED_FUTURE,
  droppedBreadcrumbs,
  scanHistory,
} from './history-scan.js';
import type { TurnScan } from './live-scan.js';
import { failureFromThrown } from './outcome.js';
import type { EngineResult } from './replay-engine.js';
import type { TurnScope } from './turn-scope.js';
import type { TurnResult } from './turn-types.js';

/** The turn's result plus the dropped-future breadcrumbs and side effects (§4.6, §4.8). */
export interface Finalized {
  result: TurnResult;
  breadcrumbs: Event[];
  droppedActivities: number[];
  droppedSubOrchestrations: { id: number; instance: string }[];
  nextEventId: number;
}

const CATEGORIES: readonly CancelCategory[] = ['activity', 'subOrchestration', 'wait', 'dequeue'];
const PLURAL: Record<CancelCategory, string> = {
  activity: 'activities',
  subOrchestration: 'sub-orchestrations',
  wait: 'external waits',
  dequeue: 'persistent waits',
};

function isCategory(kind: string): kind is CancelCategory {
  return (CATEGORIES as readonly string[]).includes(kind);
}

/** Inputs of finalization. */
export interface FinalizeInput {
  engine: EngineResult;
  scope: TurnScope;
  /** Events persisted before this turn. */
  persisted: readonly Event[];
  /** Persisted + materialized + the engine's new events. */
  working: readonly Event[];
  factory: EventFactory;
  /**
   * A scan of `working` kept by a resumed turn (instance cache); when given, `working` is not rescanned
   * and the dropped-future reconciliation is skipped: the code was not replayed, so every drop it made in
   * earlier turns is still in `scope.cancelledTasks` exactly as committed.
   */
  scan?: TurnScan;
}

/** Applies duroxide's precedence: failure, cancel request, continue-as-new, returned value, continue. */
export function finalizeTurn(input: FinalizeInput): Finalized {
  const { engine, scope } = input;
  const none = (result: TurnResult): Finalized => ({
    result,
    breadcrumbs: [],
    droppedActivities: [],
    droppedSubOrchestrations: [],
    nextEventId: engine.nextEventId,
  });
  if (engine.failure !== null) return none({ type: 'failed', details: engine.failure });
  const scan = input.scan ?? scanHistory(input.working);
  if (scan.cancelReason !== null) return none({ type: 'cancelled', reason: scan.cancelReason });
  const can = engine.continueAsNew;
  if (can !== null) return none({ type: 'continuedAsNew', input: can.input, version: can.version ?? null });
  const finished = engine.finished;
  let result: TurnResult;
  if (finished !== null) {
    if (finished.ok) {
      try {
        result = { type: 'completed', output: encodePayload(finished.value, 'orchestration output') };
      } catch (error) {
        result = { type: 'failed', details: orchestrationFailure((error as Error).message) };
      }
    } else {
      const details = failureFromThrown(finished.error);
      if (details.category === 'application' && details.kind.type === 'Panicked')
        return none({ type: 'failed', details });
      result = { type: 'failed', details };
    }
    // The function is gone: everything it left pending is dropped (Rust drops its futures).
    for (const task of [...scope.pending]) if (task.eventId > 0 && isCategory(task.kind)) task.cancel();
  } else {
    const blocked = foreignAwait(scope);
    if (blocked !== null) return none({ type: 'failed', details: nondeterminismFailure(blocked) });
    result = { type: 'continue' };
  }
  const dropped = scope.cancelledTasks.filter((t) => t.eventId > 0 && isCategory(t.kind));
  const mismatch = input.scan === undefined ? reconcile(input.persisted, dropped) : null;
  if (mismatch !== null) return none({ type: 'failed', details: nondeterminismFailure(mismatch) });
  return recordDrops(result, dropped, scan, input.factory, engine.nextEventId);
}

/** The code has not finished but awaits no pending durable task: it awaits something foreign. */
function foreignAwait(scope: TurnScope): string | null {
  for (const task of scope.pending) if (task.awaited) return null;
  return (
    'the orchestration is blocked but awaits no pending durable task: it awaited a non-durable promise ' +
    '(fetch, setTimeout, I/O, ...) or only cancelled tasks; orchestrations may only await durable tasks'
  );
}

/** §4.8: every persisted `dropped_future` breadcrumb must be re-dropped by the code in this replay. */
function reconcile(persisted: readonly Event[], dropped: DurableTaskImpl[]): string | null {
  const recorded = droppedBreadcrumbs(persisted);
  const scheduled = scanHistory(persisted).schedules;
  for (const category of CATEGORIES) {
    const now = new Set(dropped.filter((t) => t.kind === category).map((t) => t.eventId));
    const missing = [...recorded[category]].filter((id) => !now.has(id) || scheduled.get(id) !== category);
    if (missing.length > 0) {
      return `cancellation mismatch (${PLURAL[category]}): history recorded dropped_future cancellations for event(s) ${missing.join(', ')} but the code now cancelled [${[...now].join(', ')}]`;
    }
  }
  return null;
}

function recordDrops(
  result: TurnResult,
  dropped: DurableTaskImpl[],
  scan: TurnScan,
  factory: EventFactory,
  firstId: number,
): Finalized {
  const out: Finalized = {
    result,
    breadcrumbs: [],
    droppedActivities: [],
    droppedSubOrchestrations: [],
    nextEventId: firstId,
  };
  for (const task of dropped) {
    const id = task.eventId;
    if (scan.breadcrumbs.has(id)) continue;
    scan.breadcrumbs.add(id);
    const category = task.kind as CancelCategory;
    out.breadcrumbs.push(
      factory.make(out.nextEventId++, { kind: BREADCRUMB_KIND[category], reason: DROPPED_FUTURE }, id),
    );
    if (category === 'activity') out.droppedActivities.push(id);
    if (category === 'subOrchestration') {
      out.droppedSubOrchestrations.push({ id, instance: scan.subOrchestrationInstances.get(id) ?? '' });
    }
  }
  return out;
}

/** Details of a failed or cancelled result (for metadata and parent notification). */
export function resultDetails(result: TurnResult): ErrorDetails | null {
  if (result.type === 'failed') return result.details;
  if (result.type === 'cancelled') {
    return {
      category: 'application',
      kind: { type: 'Cancelled', reason: result.reason },
      message: '',
      retryable: false,
    };
  }
  return null;
}
