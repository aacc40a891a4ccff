/** Per-test-file access to the test Postgres server: a URL, a raw pool for hooks, and schema cleanup. */
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { acquirePostgres, releasePostgres, uniqueSchema } from './pg-server.js';

/** What a test file gets from `usePostgres`. */
export interface TestDb {
  /** The server URL (valid after `beforeAll`). */
  readonly url: string;
  /** A raw pool on the server (valid after `beforeAll`), for test hooks and fault injection. */
  readonly raw: pg.Pool;
  /** A fresh schema name, dropped when the file finishes. */
  schema(prefix: string): string;
  /** Drops a schema now (and forgets it). */
  dropSchema(schema: string): Promise<void>;
  /** An empty provider schema: an emptied one from `recycle`, or a fresh name (migrated on connect). */
  emptySchema(prefix: string): string;
  /** Empties a provider schema (its provider must be closed) so `emptySchema` can hand it out again. */
  recycle(schema: string): Promise<void>;
}

/** The provider's tables, emptied by `recycle`. */
const TABLES = [
  'instances',
  'executions',
  'history',
  'orchestrator_queue',
  'worker_queue',
  'instance_locks',
  'sessions',
  'kv_store',
  'kv_delta',
];

/** Registers `beforeAll`/`afterAll` that acquire the shared server and drop every schema the file created. */
export function usePostgres(): TestDb {
  let url = '';
  let raw: pg.Pool | null = null;
  const schemas = new Set<string>();
  // Truncating a schema is much faster than creating a new one with all its functions.
  const emptied: string[] = [];
  beforeAll(async () => {
    url = await acquirePostgres();
    raw = new pg.Pool({ connectionString: url, max: 4 });
    raw.on('error', () => undefined);
  });
  afterAll(async () => {
    try {
      for (const schema of schemas) await raw?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await raw?.end();
    } finally {
      releasePostgres();
    }
  });
  return {
    get url() {
      return url;
    },
    get raw() {
      if (!raw) throw new Error('usePostgres: the server is not acquired yet (use it inside tests or hooks)');
      return raw;
    },
    schema(prefix: string) {
      const name = uniqueSchema(prefix);
      schemas.add(name);
      return name;
    },
    async dropSchema(schema: string) {
      schemas.delete(schema);
      await raw?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
    emptySchema(prefix: string) {
      return emptied.pop() ?? this.schema(prefix);
    },
    async recycle(schema: string) {
      const q = `"${schema}"`;
      await raw?.query(`TRUNCATE ${TABLES.map((t) => `${q}.${t}`).join(', ')} RESTART IDENTITY`);
      emptied.push(schema);
    },
  };
}
