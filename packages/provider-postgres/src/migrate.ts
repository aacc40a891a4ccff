import type pg from 'pg';
import { MIGRATIONS } from './sql/migrations.js';
import type { SchemaNames } from './sql/naming.js';

/** The first advisory-lock key of schema migrations (the second is the schema's namespace). */
const MIGRATION_LOCK_KEY = 0x6475726f; // "duro"

/**
 * Creates the schema and applies missing migrations under a session advisory lock, so processes that
 * start at the same time take turns: the first migrates, the others find the work done. Each migration
 * runs in its own transaction together with its bookkeeping row.
 */
export async function migrate(pool: pg.Pool, names: SchemaNames): Promise<number[]> {
  const client = await pool.connect();
  let released = false;
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [MIGRATION_LOCK_KEY, names.advisoryNamespace]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${names.q}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${names.q}._duroxide_migrations (
           version INT PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM ${names.q}._duroxide_migrations`,
      );
      const applied = new Set(rows.map((r) => Number(r.version)));
      const newlyApplied: number[] = [];
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql(names));
          await client.query(
            `INSERT INTO ${names.q}._duroxide_migrations (version, description) VALUES ($1, $2)`,
            [migration.version, migration.description],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        newlyApplied.push(migration.version);
      }
      return newlyApplied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [MIGRATION_LOCK_KEY, names.advisoryNamespace]);
    }
  } catch (err) {
    // A connection that failed mid-migration may still hold the session lock: destroy it, never reuse it.
    client.release(err instanceof Error ? err : true);
    released = true;
    throw err;
  } finally {
    if (!released) client.release();
  }
}
