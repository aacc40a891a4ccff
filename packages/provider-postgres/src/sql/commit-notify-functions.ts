import { applyEdits, extractFunction } from './derive-function.js';
import { leanOrchestrationFunctionsSql } from './lean-orchestration-functions.js';
import type { SchemaNames } from './naming.js';

/** Migration 5's instance notification: `o:` when messages wait for the instance, else `c:`. */
const EITHER_NOTIFY = "SELECT CASE WHEN v_more THEN 'o:' ELSE 'c:' END || md5(v_instance)) n;";
/** Always `c:` (what clients read changed), plus `o:` when messages wait (an orchestration fetch is due). */
const BOTH_NOTIFY =
  "SELECT 'c:' || md5(v_instance) UNION ALL SELECT 'o:' || md5(v_instance) WHERE v_more) n;";

/**
 * Migration 7: every turn ack announces `c:<instance>`, so instance waiters (client waits) wake on turn
 * acks only and no longer on `o:` payloads, which activity completions and enqueues send too: a client
 * waiting on a fan-out of five activities made five status reads that could not see a change. The
 * function is migration 5's ack with only that line changed; it is derived from migration 5's text, which
 * is never edited once applied.
 */
export function commitNotifyFunctionsSql(names: SchemaNames): string {
  const all = leanOrchestrationFunctionsSql(names);
  const ack = extractFunction(7, all, `CREATE OR REPLACE FUNCTION ${names.q}.ack_orchestration_item(`);
  return applyEdits(7, ack, [[EITHER_NOTIFY, BOTH_NOTIFY]]);
}
