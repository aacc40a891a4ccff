import { DurableError } from '../errors.js';
import type { Event, EventOf } from '../history/events.js';
import { INITIAL_EXECUTION_ID } from '../history/limits.js';
import type { ContinueAsNewItem, OrchestratorItem, StartOrchestrationItem } from '../history/work-items.js';
import type { OrchestrationAck, OrchestrationItem } from '../provider/provider-contract.js';
import type { ParentLink, TurnState } from './turn-state.js';
import type { PreparedTurn } from './turn-types.js';

function ackOnly(item: OrchestrationItem, reason: string): PreparedTurn {
  const ack: OrchestrationAck = {
    executionId: item.executionId,
    historyDelta: [],
    workerItems: [],
    orchestratorItems: [],
    metadata: {},
    cancelledActivities: [],
  };
  return { type: 'ackOnly', reason, ack };
}

function lastTerminal(history: readonly Event[]): Event | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const e = history[i]!;
    if (
      e.kind === 'OrchestrationCompleted' ||
      e.kind === 'OrchestrationFailed' ||
      e.kind === 'OrchestrationContinuedAsNew'
    ) {
      return e;
    }
  }
  return undefined;
}

function explicitVersion(version: string | undefined): string | null {
  return version === undefined || version === '' || version === '0.0.0' ? null : version;
}

function parentOf(source: {
  parentInstance?: string;
  parentId?: number;
  parentExecutionId?: number;
}): ParentLink | null {
  if (source.parentInstance === undefined || source.parentId === undefined) return null;
  return { instance: source.parentInstance, id: source.parentId, executionId: source.parentExecutionId };
}

/**
 * duroxide §5.3 steps 3–8 as pure logic: terminal executions and orphan completions are acked without
 * running code; a ContinueAsNew message opens execution current + 1 (carried queue messages first);
 * name, input and parent come from the start message for new executions, else from history; the
 * version recorded in history always wins over a duplicate start message (§5.3-step-5 quirk fixed).
 */
export function prepareTurn(item: OrchestrationItem): PreparedTurn {
  if (item.historyError !== null) {
    throw new DurableError(
      'CORRUPT_RECORD',
      `prepareTurn: history of '${item.instance}' could not be read (${item.historyError}); the runtime must abandon or poison it`,
    );
  }
  const can = item.messages.find((m): m is ContinueAsNewItem => m.kind === 'ContinueAsNew');
  const terminal = lastTerminal(item.history);
  if (terminal !== undefined && (terminal.kind !== 'OrchestrationContinuedAsNew' || can === undefined)) {
    return ackOnly(item, `execution ${item.executionId} already ended (${terminal.kind})`);
  }
  const others = item.messages.filter((m) => m.kind !== 'ContinueAsNew' && m.kind !== 'StartOrchestration');
  if (can !== undefined) return prepareContinueAsNew(item, can, others);
  const started =
    item.history[0]?.kind === 'OrchestrationStarted'
      ? (item.history[0] as EventOf<'OrchestrationStarted'>)
      : null;
  if (item.history.length > 0) {
    const name = started?.name ?? item.orchestrationName;
    const state: TurnState = {
      instance: item.instance,
      executionId: item.executionId,
      history: item.history,
      messages: others,
      kvSnapshot: item.kvSnapshot,
      orchestrationName: name,
      input: started?.input ?? 'null',
      parent: started ? parentOf(started) : null,
      carryForwardEvents: [],
      initialCustomStatus: started?.initialCustomStatus ?? null,
    };
    return run(state, explicitVersion(started?.version), false);
  }
  const start = item.messages.find((m): m is StartOrchestrationItem => m.kind === 'StartOrchestration');
  if (start === undefined)
    return ackOnly(item, 'no start message for an instance without history (orphan messages)');
  const state: TurnState = {
    instance: item.instance,
    executionId: item.executionId > 0 ? item.executionId : start.executionId || INITIAL_EXECUTION_ID,
    history: [],
    messages: others,
    kvSnapshot: item.kvSnapshot,
    orchestrationName: start.orchestration,
    input: start.input,
    parent: parentOf(start),
    carryForwardEvents: [],
    initialCustomStatus: null,
  };
  return run(state, explicitVersion(start.version), true);
}

function prepareContinueAsNew(
  item: OrchestrationItem,
  can: ContinueAsNewItem,
  others: OrchestratorItem[],
): PreparedTurn {
  const carried: OrchestratorItem[] = can.carryForwardEvents.map(([name, data]) => ({
    kind: 'QueueMessage',
    instance: item.instance,
    name,
    data,
  }));
  const state: TurnState = {
    instance: item.instance,
    executionId: item.executionId + 1,
    history: [],
    messages: [...carried, ...others],
    kvSnapshot: item.kvSnapshot,
    orchestrationName: can.orchestration,
    input: can.input,
    parent: parentOf(can),
    carryForwardEvents: can.carryForwardEvents,
    initialCustomStatus: can.initialCustomStatus ?? null,
  };
  return run(state, explicitVersion(can.version), true);
}

function run(state: TurnState, requestedVersion: string | null, isNewExecution: boolean): PreparedTurn {
  return {
    type: 'run',
    instance: state.instance,
    executionId: state.executionId,
    orchestrationName: state.orchestrationName,
    requestedVersion,
    isNewExecution,
    state,
  };
}
