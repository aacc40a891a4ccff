import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Store factories for benchmarks. Each returns { name, settings, open(), cleanup() } where open() may be
 * called more than once (several providers on one store). Postgres and Redis start throwaway servers
 * when DUROXIDE_PG_URL / DUROXIDE_REDIS_URL are unset.
 */
export async function makeStore(kind) {
  switch (kind) {
    case 'sqlite':
      return sqliteFileStore();
    case 'sqlite-memory':
      return sqliteMemoryStore();
    case 'postgres':
      return (await import('./postgres-store.mjs')).postgresStore();
    case 'redis':
      return (await import('./redis-store.mjs')).redisStore();
    default:
      throw new Error(`unknown provider '${kind}' (expected sqlite, sqlite-memory, postgres, redis)`);
  }
}

async function sqliteFileStore() {
  const { SqliteProvider } = await import('@duroxide/provider-sqlite');
  const dir = mkdtempSync(join(tmpdir(), 'duroxide-bench-'));
  let n = 0;
  let file = join(dir, 'bench-0.db');
  return {
    name: 'sqlite',
    settings: { file: 'temp file, WAL' },
    get url() {
      return `sqlite:${file}`;
    },
    /** Starts a new database file (each workload runs on an empty store). */
    fresh() {
      n += 1;
      file = join(dir, `bench-${n}.db`);
    },
    open: () => SqliteProvider.open(`sqlite:${file}`),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function sqliteMemoryStore() {
  const { SqliteProvider } = await import('@duroxide/provider-sqlite');
  return {
    name: 'sqlite-memory',
    settings: { file: ':memory:' },
    url: null,
    open: () => SqliteProvider.inMemory(),
    cleanup: async () => {},
  };
}
