import { applyEdits, extractFunction } from './derive-function.js';
import { literal, type SchemaNames } from './naming.js';
import { orchestrationFunctionsSql } from './orchestration-functions.js';

/** The worker notification of migration 1's ack: one payload for any number of scheduled activities. */
const UNCOUNTED_WORKER_NOTIFY = (ch: string) => `PERFORM pg_notify(${ch}, 'w:');`;

/**
 * Migration 3: the turn ack announces how many activities it queued (`w:<count>`), so a process wakes that
 * many waiting worker fetches instead of all of them. The function is migration 1's ack with only that
 * line changed; it is derived from migration 1's text, which is never edited once applied.
 */
export function countedWakeFunctionsSql(names: SchemaNames): string {
  const ch = literal(names.channel);
  const all = orchestrationFunctionsSql(names);
  const ack = extractFunction(3, all, `CREATE FUNCTION ${names.q}.ack_orchestration_item(`);
  return applyEdits(3, ack, [
    ['CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'],
    [UNCOUNTED_WORKER_NOTIFY(ch), `PERFORM pg_notify(${ch}, 'w:' || array_length(p_w_items, 1));`],
  ]);
}
