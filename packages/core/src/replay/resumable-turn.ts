import type { Event } from '../history/events.js';
import { EventFactory, nextEventIdAfter } from './event-factory.js';
import { completeTurn, type TurnParts } from './execute-turn.js';
import type { KvState } from './kv-state.js';
import { hasLateCall } from './late-calls.js';
import { LiveScan } from './live-scan.js';
import { materializeMessages } from './materialize.js';
import type { OrchestrationContextImpl } from './orchestration-context.js';
import type { ReplayEngine } from './replay-engine.js';
import type { TurnScope } from './turn-scope.js';
import type { TurnState } from './turn-state.js';
import type { PreparedTurn, SuspendedTurn, TurnExecution, TurnOutcome } from './turn-types.js';

type RunTurn = Extract<PreparedTurn, { type: 'run' }>;

/** The live pieces of an orchestration kept between turns. */
interface LiveParts {
  replay: ReplayEngine;
  scope: TurnScope;
  ctx: OrchestrationContextImpl;
  kv: KvState;
  scan: LiveScan;
}

/** A fingerprint of one event: enough to notice a history that is not the one this process committed. */
function sameEvent(a: Event | undefined, b: Event | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    a.eventId === b.eventId &&
    a.kind === b.kind &&
    a.executionId === b.executionId &&
    a.timestampMs === b.timestampMs
  );
}

/** An orchestration suspended after a turn that ended waiting; spent by its first `resumeTurn`. */
export class SuspendedOrchestration implements SuspendedTurn {
  /** Set by `resumeTurn`: a handle is used once, whatever the outcome. */
  spent = false;

  constructor(
    readonly instance: string,
    readonly executionId: number,
    /** The handler and version the code runs (a different resolution cannot resume it). */
    readonly handler: object,
    readonly version: string,
    readonly historyLength: number,
    private readonly first: Event,
    private readonly last: Event,
    /** The engine, scope, context, KV view and incremental scan of the running code. */
    readonly live: LiveParts,
  ) {}

  /** Whether a fetched history is the one the suspended turn committed (length, first and last event). */
  matches(history: readonly Event[]): boolean {
    return (
      history.length === this.historyLength &&
      sameEvent(history[0], this.first) &&
      sameEvent(history[history.length - 1], this.last)
    );
  }
}

/**
 * Keeps the orchestration of a finished turn for the next one when the turn ended waiting (no failure, no
 * result, nothing left to walk); the events the turn wrote after the walk (dropped-future breadcrumbs) are
 * appended to the engine's history so it mirrors the committed history exactly.
 */
export function suspendAfterTurn(
  t: TurnParts,
  replay: ReplayEngine,
  outcome: TurnOutcome,
): SuspendedOrchestration | null {
  if (outcome.result.type !== 'continue' || t.engine.failure !== null || !replay.isSuspendable) return null;
  const walked = t.baseDelta.length + t.engine.newEvents.length;
  const unwalked = outcome.ack.historyDelta.slice(walked);
  replay.appendUnwalked(unwalked);
  const history = outcome.history;
  if (replay.historyLength !== history.length || history.length === 0) return null;
  let scan: LiveScan;
  if (t.scan instanceof LiveScan) {
    scan = t.scan;
    scan.addAll(unwalked);
  } else scan = LiveScan.of(history);
  const state = t.prepared.state as TurnState;
  return new SuspendedOrchestration(
    state.instance,
    t.prepared.executionId,
    t.execution.handler,
    t.execution.version,
    history.length,
    history[0]!,
    history[history.length - 1]!,
    { replay, scope: t.scope, ctx: t.ctx, kv: t.kv, scan },
  );
}

/**
 * Continues a suspended orchestration with the next batch (see `TurnEngine.resumeTurn`). Only the common
 * path is handled here: anything unusual (a history this process did not commit, a batch that aborts the
 * turn, a late context call) returns null and the caller replays from the start, which owns every edge.
 */
export async function resumeTurn(
  suspended: SuspendedTurn,
  prepared: RunTurn,
  execution: TurnExecution,
): Promise<TurnOutcome | null> {
  if (!(suspended instanceof SuspendedOrchestration) || suspended.spent) return null;
  suspended.spent = true;
  const state = prepared.state as TurnState;
  if (
    prepared.isNewExecution ||
    prepared.executionId !== suspended.executionId ||
    state.instance !== suspended.instance ||
    execution.handler !== suspended.handler ||
    execution.version !== suspended.version ||
    !suspended.matches(state.history) ||
    hasLateCall(execution.handler, state.instance)
  ) {
    return null;
  }
  const { replay, scope, ctx, kv, scan } = suspended.live;
  const f = new EventFactory(
    state.instance,
    prepared.executionId,
    execution.nowMs,
    execution.duroxideVersion,
  );
  const batch = materializeMessages(
    state.messages,
    scan,
    scan.completedSources,
    false,
    prepared.executionId,
    f,
    nextEventIdAfter(state.history),
  );
  if (batch.abort !== null) return null;
  scan.addAll(batch.events);
  scope.live = true;
  scope.replaying = false;
  ctx.beginResumedTurn(execution.nowMs, execution.trace);
  const engine = await replay.resume(batch.events, {
    persistedLen: state.history.length,
    nextEventId: batch.nextEventId,
    factory: f,
  });
  scan.addAll(engine.newEvents);
  const turn: TurnParts = {
    prepared,
    execution,
    factory: f,
    persisted: state.history,
    baseDelta: batch.events,
    engine,
    scope,
    ctx,
    kv,
    dropped: batch.dropped,
    scan,
  };
  // With a scan given, finalization never rescans the working history, so none is built.
  const outcome = completeTurn(turn, []);
  if (execution.suspend === true) outcome.suspended = suspendAfterTurn(turn, replay, outcome);
  return outcome;
}
