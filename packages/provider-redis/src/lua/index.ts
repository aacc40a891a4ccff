import { DELETE_ATOMIC, PRUNE, SELECT_BULK_DELETE, SELECT_PRUNE } from './management.js';
import { ABANDON_ORCH, ACK_ORCH, ENQUEUE_ORCH, FETCH_ORCH, RENEW_ORCH } from './orchestration.js';
import { PRELUDE } from './prelude.js';
import {
  APPEND_HISTORY,
  CORRUPT_HISTORY,
  EXECUTION_INFO,
  GET_KV,
  GET_KV_ALL,
  INSTANCE_INFO,
  INSTANCE_STATS,
  MAX_ATTEMPT,
  METRICS,
  READ_HISTORY,
} from './reads.js';
import {
  ABANDON_WORK,
  ACK_WORK,
  CLEANUP_SESSIONS,
  ENQUEUE_WORK,
  FETCH_WORK,
  RENEW_SESSIONS,
  RENEW_WORK,
} from './worker.js';

const BODIES = {
  enqueueOrch: ENQUEUE_ORCH,
  fetchOrch: FETCH_ORCH,
  ackOrch: ACK_ORCH,
  abandonOrch: ABANDON_ORCH,
  renewOrch: RENEW_ORCH,
  enqueueWork: ENQUEUE_WORK,
  fetchWork: FETCH_WORK,
  ackWork: ACK_WORK,
  abandonWork: ABANDON_WORK,
  renewWork: RENEW_WORK,
  renewSessions: RENEW_SESSIONS,
  cleanupSessions: CLEANUP_SESSIONS,
  readHistory: READ_HISTORY,
  appendHistory: APPEND_HISTORY,
  getKv: GET_KV,
  getKvAll: GET_KV_ALL,
  instanceStats: INSTANCE_STATS,
  instanceInfo: INSTANCE_INFO,
  executionInfo: EXECUTION_INFO,
  metrics: METRICS,
  maxAttempt: MAX_ATTEMPT,
  corruptHistory: CORRUPT_HISTORY,
  deleteAtomic: DELETE_ATOMIC,
  prune: PRUNE,
  selectBulkDelete: SELECT_BULK_DELETE,
  selectPrune: SELECT_PRUNE,
} as const;

/** The name of one provider script. */
export type ScriptName = keyof typeof BODIES;

/** Every script's full Lua source (the shared prelude followed by its body). */
export const SCRIPT_SOURCES: Record<ScriptName, string> = Object.fromEntries(
  Object.entries(BODIES).map(([name, body]) => [name, `${PRELUDE}\n${body}`]),
) as Record<ScriptName, string>;
