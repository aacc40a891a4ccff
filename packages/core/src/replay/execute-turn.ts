import { type ErrorDetails, nondeterminismFailure, orchestrationFailure } from '../history/error-details.js';
import { type Event, isTerminalEvent } from '../history/events.js';
import { decodePayload } from '../history/payload.js';
import type { OrchestrationAck } from '../provider/provider-contract.js';
import { EventFactory, nextEventIdAfter } from './event-factory.js';
import { buildAck, type MappingInput } from './execution-mapping.js';
import { scanHistory } from './history-scan.js';
import { KvState } from './kv-state.js';
import { takeLateCall } from './late-calls.js';
import type { TurnScan } from './live-scan.js';
import { completedSourcesOf, materializeMessages } from './materialize.js';
import { OrchestrationContextImpl } from './orchestration-context.js';
import { type EngineResult, ReplayEngine } from './replay-engine.js';
import { suspendAfterTurn } from './resumable-turn.js';
import { finalizeTurn } from './turn-finalize.js';
import { limitViolation } from './turn-limits.js';
import { TurnScope } from './turn-scope.js';
import type { TurnState } from './turn-state.js';
import type { PreparedTurn, TurnExecution, TurnOutcome, TurnResult } from './turn-types.js';

type RunTurn = Extract<PreparedTurn, { type: 'run' }>;

function startedEvent(state: TurnState, f: EventFactory, version: string): Event {
  return f.make(1, {
    kind: 'OrchestrationStarted',
    name: state.orchestrationName,
    version,
    input: state.input,
    ...(state.parent !== null
      ? {
          parentInstance: state.parent.instance,
          parentId: state.parent.id,
          ...(state.parent.executionId !== undefined ? { parentExecutionId: state.parent.executionId } : {}),
        }
      : {}),
    ...(state.carryForwardEvents.length > 0 ? { carryForwardEvents: state.carryForwardEvents } : {}),
    ...(state.initialCustomStatus !== null ? { initialCustomStatus: state.initialCustomStatus } : {}),
  });
}

function corruption(history: readonly Event[], isNew: boolean): ErrorDetails | null {
  if (history.length === 0 && !isNew) return nondeterminismFailure('corrupted history: empty');
  if (history[0]?.kind !== 'OrchestrationStarted') {
    return nondeterminismFailure('corrupted history: first event must be OrchestrationStarted');
  }
  return null;
}

function emptyEngine(nextEventId: number, failure: ErrorDetails): EngineResult {
  return { newEvents: [], newActions: [], failure, finished: null, continueAsNew: null, nextEventId };
}

/**
 * Runs one turn: materializes the batch, replays the code against history (new executions get
 * `OrchestrationStarted`), applies duroxide's precedence, limits and execution mapping, and returns an
 * ack ready for the provider. With `execution.suspend`, a turn that ends waiting also returns the
 * suspended orchestration for `resumeTurn`.
 */
export async function executeTurn(prepared: RunTurn, execution: TurnExecution): Promise<TurnOutcome> {
  const state = prepared.state as TurnState;
  const f = new EventFactory(
    state.instance,
    prepared.executionId,
    execution.nowMs,
    execution.duroxideVersion,
  );
  const persisted = state.history;
  const baseDelta: Event[] = [];
  if (prepared.isNewExecution) baseDelta.push(startedEvent(state, f, execution.version));
  const baseline = persisted.concat(baseDelta);
  if (baseline.some(isTerminalEvent)) return noOp(prepared, persisted);
  const scan = scanHistory(baseline);
  const batch = materializeMessages(
    state.messages,
    scan,
    completedSourcesOf(baseline),
    false,
    prepared.executionId,
    f,
    nextEventIdAfter(baseline),
  );
  baseDelta.push(...batch.events);
  const working = baseline.concat(batch.events);
  const started = working[0]?.kind === 'OrchestrationStarted' ? working[0] : null;
  const ctxVersion = prepared.isNewExecution ? execution.version : (started?.version ?? execution.version);
  const scope = new TurnScope(state.instance, execution.handler);
  const kv = new KvState(state.kvSnapshot);
  const ctx = new OrchestrationContextImpl(
    scope,
    {
      instanceId: state.instance,
      executionId: prepared.executionId,
      orchestrationName: state.orchestrationName,
      orchestrationVersion: ctxVersion,
      nowMs: execution.nowMs,
      ...(execution.trace !== undefined ? { trace: execution.trace } : {}),
    },
    kv,
    started?.initialCustomStatus ?? null,
  );
  const late = takeLateCall(execution.handler, state.instance);
  const preFailure =
    batch.abort ??
    corruption(working, prepared.isNewExecution) ??
    (late !== null ? nondeterminismFailure(late) : null);
  let engine: EngineResult;
  let replay: ReplayEngine | null = null;
  if (preFailure !== null) engine = emptyEngine(batch.nextEventId, preFailure);
  else {
    replay = new ReplayEngine({
      history: working.slice(),
      persistedLen: persisted.length,
      nextEventId: batch.nextEventId,
      handler: execution.handler as (ctx: OrchestrationContextImpl, input: unknown) => unknown,
      input: decodePayload(state.input),
      ctx,
      scope,
      factory: f,
      instance: state.instance,
    });
    engine = await replay.run();
  }
  const turn: TurnParts = {
    prepared,
    execution,
    factory: f,
    persisted,
    baseDelta,
    engine,
    scope,
    ctx,
    kv,
    dropped: batch.dropped,
  };
  const outcome = completeTurn(turn, working.concat(engine.newEvents));
  if (execution.suspend === true && replay !== null) {
    outcome.suspended = suspendAfterTurn(turn, replay, outcome);
  }
  return outcome;
}

/** One turn's pieces, shared by a replay from the start and a resumed turn. */
export interface TurnParts {
  prepared: RunTurn;
  execution: TurnExecution;
  factory: EventFactory;
  /** Events persisted before this turn. */
  persisted: Event[];
  /** `OrchestrationStarted` (new executions) and the materialized batch. */
  baseDelta: Event[];
  engine: EngineResult;
  scope: TurnScope;
  ctx: OrchestrationContextImpl;
  kv: KvState;
  /** Messages the batch dropped. */
  dropped: TurnOutcome['dropped'];
  /** The resumed turn's incremental scan (skips rescanning `working` and the drop reconciliation). */
  scan?: TurnScan;
}

/** Finalization, limits and execution mapping: the turn's ack and result from what the engine did. */
export function completeTurn(t: TurnParts, working: readonly Event[]): TurnOutcome {
  const { prepared, execution, engine, scope, persisted, baseDelta } = t;
  const state = prepared.state as TurnState;
  const fin = finalizeTurn({
    engine,
    scope,
    persisted,
    working,
    factory: t.factory,
    ...(t.scan !== undefined ? { scan: t.scan } : {}),
  });
  scope.live = false;
  const mapping: MappingInput = {
    state,
    executionId: prepared.executionId,
    factory: t.factory,
    result: fin.result,
    persisted,
    delta: [...baseDelta, ...engine.newEvents, ...fin.breadcrumbs],
    newActions: engine.newActions,
    droppedActivities: fin.droppedActivities,
    droppedSubOrchestrations: fin.droppedSubOrchestrations,
    nextEventId: fin.nextEventId,
    customStatus: t.ctx.customStatus,
    version: execution.version,
    duroxideVersion: execution.duroxideVersion,
    isNewExecution: prepared.isNewExecution,
  };
  const violation = limitViolation(engine.newEvents, t.kv.size);
  if (violation !== null) {
    // The offending events are never stored; the batch stays recorded and the parent is still told.
    Object.assign(mapping, {
      result: { type: 'failed', details: orchestrationFailure(violation) } satisfies TurnResult,
      delta: baseDelta,
      newActions: [],
      droppedActivities: [],
      droppedSubOrchestrations: [],
    });
  }
  const ack = buildAck(mapping);
  return { ack, result: mapping.result, history: persisted.concat(ack.historyDelta), dropped: t.dropped };
}

function noOp(prepared: RunTurn, persisted: Event[]): TurnOutcome {
  const ack: OrchestrationAck = {
    executionId: prepared.executionId,
    historyDelta: [],
    workerItems: [],
    orchestratorItems: [],
    metadata: {},
    cancelledActivities: [],
  };
  return { ack, result: { type: 'continue' }, history: persisted, dropped: [] };
}
