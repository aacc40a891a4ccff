export { actionMismatch, describeEvent } from './action-matching.js';
export type { Action } from './actions.js';
export { ActivityTaskImpl } from './activity-task.js';
export { createAll, createRace } from './composition.js';
export { DurableTaskImpl, isDurableTask } from './durable-task.js';
export { executeTurn } from './execute-turn.js';
export { type HistoryScan, scanHistory } from './history-scan.js';
export { KvState } from './kv-state.js';
export { OrchestrationContextImpl } from './orchestration-context.js';
export { failureFromThrown } from './outcome.js';
export { prepareTurn } from './prepare-turn.js';
export { resumeTurn } from './resumable-turn.js';
export { backoffDelayMs, type NormalizedRetryPolicy, normalizeRetryPolicy } from './retry.js';
export {
  SYSTEM_ACTIVITY_GET_KV_VALUE,
  SYSTEM_ACTIVITY_NEW_GUID,
  SYSTEM_ACTIVITY_PREFIX,
  SYSTEM_ACTIVITY_UTC_NOW,
} from './system-activities.js';
export { limitViolation, utf8Length } from './turn-limits.js';
export type { ParentLink, TurnState } from './turn-state.js';

import { executeTurn } from './execute-turn.js';
import { prepareTurn } from './prepare-turn.js';
import { resumeTurn } from './resumable-turn.js';
import type { TurnEngine } from './turn-types.js';

/** The replay module as the runtime consumes it. */
export const turnEngine: TurnEngine = { prepareTurn, executeTurn, resumeTurn };
