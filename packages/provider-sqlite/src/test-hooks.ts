import type { Provider } from '@duroxide/core';
import type Database from 'better-sqlite3';
import { RAW_ACCESS, type RawAccess } from './internal.js';
import { SqliteProvider } from './sqlite-provider.js';

function raw(provider: Provider): RawAccess {
  if (!(provider instanceof SqliteProvider)) {
    throw new TypeError('sqliteTestHooks: expected a SqliteProvider');
  }
  return provider[RAW_ACCESS]();
}

/**
 * Raw-storage access for tests and the conformance kit's hooks. TEST-ONLY: writing through these bypasses
 * every invariant the provider keeps; never use them in application code.
 */
export const sqliteTestHooks = {
  /** The provider's open better-sqlite3 connection. */
  database(provider: Provider): Database.Database {
    return raw(provider).db;
  },

  /** Rewrites the current execution's history rows as valid JSON of the wrong shape (unreadable events). */
  async corruptInstanceHistory(provider: Provider, instance: string): Promise<void> {
    raw(provider)
      .db.prepare(
        `UPDATE history SET event_data = '{"corrupted":true,"kind":"NotAnEvent"}'
         WHERE instance_id = @instance AND execution_id = COALESCE(
           (SELECT current_execution_id FROM instances WHERE instance_id = @instance),
           (SELECT MAX(execution_id) FROM executions WHERE instance_id = @instance), 1)`,
      )
      .run({ instance });
  },

  /** The highest attempt count among the instance's queued orchestrator messages (0 when none). */
  async getMaxAttemptCount(provider: Provider, instance: string): Promise<number> {
    const row = raw(provider)
      .db.prepare('SELECT COALESCE(MAX(attempt_count), 0) AS n FROM orchestrator_queue WHERE instance_id = ?')
      .get(instance) as { n: number };
    return row.n;
  },

  /** How many long-poll and change listeners are registered on the provider's notifier (leak checks). */
  listenerCount(provider: Provider): number {
    return raw(provider).notifier.listenerCount;
  },
};
