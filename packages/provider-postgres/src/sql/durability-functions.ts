import { countedWakeFunctionsSql } from './counted-wake-functions.js';
import { extractFunction } from './derive-function.js';
import { fetchFunctionSql } from './history-cache-functions.js';
import type { SchemaNames } from './naming.js';
import { workerFunctionsSql } from './worker-functions.js';

/** Makes the enclosing (single-statement) transaction commit without waiting for its WAL flush. */
const ASYNC_COMMIT = `PERFORM set_config('synchronous_commit', 'off', true);`;

/**
 * Migration 4: fetches commit asynchronously, and the turn ack writes its instance row once.
 *
 * A fetch only takes a lease (a lock row and lock tokens). Losing that commit in a server crash is the
 * same as the lock expiring: the later ack fails with an invalid token and the work runs again. A later
 * durable commit (any ack) flushes the WAL up to itself, so an acknowledged ack never depends on a lost
 * fetch. Acks, enqueues and deletes keep the server's durability. `set_config(..., true)` lasts to the end
 * of the transaction; a function-level `SET` clause would not, since it is undone when the function returns.
 *
 * The functions are derived from the texts of migrations 2 and 3, which are never edited once applied.
 */
export function durabilityFunctionsSql(names: SchemaNames): string {
  return [
    asyncCommit(fetchFunctionSql(names), 'fetch_orchestration_item'),
    asyncCommit(
      extractFunction(4, workerFunctionsSql(names), `CREATE FUNCTION ${names.q}.fetch_work_item(`),
      'fetch_work_item',
    ),
    mergeInstanceWrite(countedWakeFunctionsSql(names), names),
  ].join('\n');
}

/** Replaces a function in place and turns off the commit's WAL-flush wait at its start. */
function asyncCommit(fn: string, name: string): string {
  const body = fn.indexOf('BEGIN\n', fn.indexOf('$fn$'));
  if (body < 0) throw new Error(`migration 4: the body of ${name} was not found`);
  const at = body + 'BEGIN\n'.length;
  return `${fn.slice(0, at)}      ${ASYNC_COMMIT}\n${fn.slice(at)}`.replace(
    'CREATE FUNCTION',
    'CREATE OR REPLACE FUNCTION',
  );
}

/** The ack of migration 3 with its instance upsert and instance update merged into one write. */
function mergeInstanceWrite(ack: string, { q }: SchemaNames): string {
  const start = ack.indexOf('IF p_name IS NOT NULL AND p_version IS NOT NULL THEN');
  const upsertEnd = ack.indexOf('END IF;', start) + 'END IF;'.length;
  const update = ack.indexOf(`UPDATE ${q}.instances`, upsertEnd);
  const end =
    ack.indexOf('WHERE instance_id = v_instance;', update) + 'WHERE instance_id = v_instance;'.length;
  if (start < 0 || upsertEnd < start || update < 0 || end < update) {
    throw new Error('migration 4: the instance writes of the migration 3 ack were not found');
  }
  const merged = `IF p_name IS NOT NULL AND p_version IS NOT NULL THEN
        INSERT INTO ${q}.instances AS i (instance_id, orchestration_name, orchestration_version,
                                         current_execution_id, parent_instance_id, created_at, updated_at,
                                         custom_status, custom_status_version)
        VALUES (v_instance, p_name, p_version, p_exec, p_parent, p_now, p_now,
                CASE p_cs_action WHEN 1 THEN p_cs_value END,
                CASE WHEN p_cs_action IN (1, 2) THEN 1 ELSE 0 END)
        ON CONFLICT (instance_id) DO UPDATE
          SET orchestration_name = EXCLUDED.orchestration_name,
              orchestration_version = EXCLUDED.orchestration_version,
              parent_instance_id = COALESCE(i.parent_instance_id, EXCLUDED.parent_instance_id),
              current_execution_id = GREATEST(i.current_execution_id, EXCLUDED.current_execution_id),
              updated_at = EXCLUDED.updated_at,
              custom_status = CASE p_cs_action WHEN 1 THEN p_cs_value WHEN 2 THEN NULL ELSE i.custom_status END,
              custom_status_version = i.custom_status_version
                + CASE WHEN p_cs_action IN (1, 2) THEN 1 ELSE 0 END;
      ELSE
        UPDATE ${q}.instances
           SET current_execution_id = GREATEST(current_execution_id, p_exec), updated_at = p_now,
               custom_status = CASE p_cs_action WHEN 1 THEN p_cs_value WHEN 2 THEN NULL ELSE custom_status END,
               custom_status_version = custom_status_version + CASE WHEN p_cs_action IN (1, 2) THEN 1 ELSE 0 END
         WHERE instance_id = v_instance;
      END IF;`;
  // The executions insert and pin between the two writes do not read the instance row, so they stay put.
  return ack.slice(0, start) + merged + ack.slice(upsertEnd, update) + ack.slice(end);
}
