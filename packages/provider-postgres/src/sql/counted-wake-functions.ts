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
  const start = all.indexOf(`CREATE FUNCTION ${names.q}.ack_orchestration_item(`);
  const end = all.indexOf('$fn$;', start);
  if (start < 0 || end < 0) throw new Error('migration 3: the ack function of migration 1 was not found');
  const ack = all.slice(start, end + '$fn$;'.length);
  const uncounted = UNCOUNTED_WORKER_NOTIFY(ch);
  if (ack.split(uncounted).length !== 2) {
    throw new Error('migration 3: the worker notification of migration 1 ack was not found exactly once');
  }
  return ack
    .replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')
    .replace(uncounted, `PERFORM pg_notify(${ch}, 'w:' || array_length(p_w_items, 1));`);
}
