import { applyEdits, extractFunction } from './derive-function.js';
import { leanWorkerFunctionsSql } from './lean-worker-functions.js';
import type { SchemaNames } from './naming.js';

/**
 * Migration 6: an empty worker fetch also says whether its answer holds for every fetch with its tag filter
 * (`o_pool_empty`): no activity at all is visible and unlocked in the statement's snapshot (so none is
 * bound to a session another owner could take, and none was only passed over because a concurrent fetch
 * had it locked, which that fetch could still give up), so no other session owner would have found work. The provider then skips the queries of its other fetches of
 * that filter until a notification arrives or the next wake-up time passes (after each activity the slot
 * that acked it would otherwise query an empty queue). Derived from migration 5's text, never edited.
 */
export function poolEmptyFunctionsSql(names: SchemaNames): string {
  const { q } = names;
  const all = leanWorkerFunctionsSql(names);
  const fetch = extractFunction(6, all, `CREATE OR REPLACE FUNCTION ${q}.fetch_work_item(`);
  const fn = applyEdits(6, fetch, [
    ['CREATE OR REPLACE FUNCTION', 'CREATE FUNCTION'],
    [
      'RETURNS TABLE (o_item TEXT, o_attempt INT, o_next_wake BIGINT)',
      'RETURNS TABLE (o_item TEXT, o_attempt INT, o_next_wake BIGINT, o_pool_empty BOOLEAN)',
    ],
    [
      'RETURNING work_item, attempt_count, NULL::BIGINT;',
      'RETURNING work_item, attempt_count, NULL::BIGINT, NULL::BOOLEAN;',
    ],
    [
      `(SELECT MIN(locked_until) FROM ${q}.sessions WHERE locked_until > p_now) END) END;`,
      `(SELECT MIN(locked_until) FROM ${q}.sessions WHERE locked_until > p_now) END) END,
        v_skip = '{}' AND NOT EXISTS (
          SELECT 1 FROM ${q}.worker_queue sw
           WHERE sw.visible_at <= p_now AND (sw.lock_token IS NULL OR sw.locked_until <= p_now));`,
    ],
  ]);
  return `
    DROP FUNCTION ${q}.fetch_work_item(BIGINT, BIGINT, TEXT, BOOLEAN, TEXT, BIGINT, INT, TEXT[], BOOLEAN);
    ${fn}
  `;
}
