import './support/pg-cjs-shim.js';
import type { Provider } from '@duroxide/core';
import { describeProviderConformance } from '@duroxide/provider-tests';
import { PostgresProvider } from '../src/index.js';
import { usePostgres } from './support/test-db.js';

const db = usePostgres();

/** The schema of a provider made by this file. */
function schemaOf(provider: Provider): string {
  return (provider as PostgresProvider).schema;
}

describeProviderConformance('postgres', {
  // Every provider gets a store of its own (a fresh or emptied schema), isolated from other test files.
  createProvider: ({ clock }) =>
    PostgresProvider.connectWithSchema(db.url, db.emptySchema('conf'), { clock, poolSize: 4 }),
  destroyProvider: async (provider) => {
    await provider.close();
    await db.recycle(schemaOf(provider));
  },
  lockTimeoutMs: 1_000,
  shortPollThresholdMs: 100,
  // Valid JSON of the wrong shape, so the store stays readable and only event decoding fails.
  corruptInstanceHistory: async (provider, instance) => {
    const q = `"${schemaOf(provider)}"`;
    await db.raw.query(
      `UPDATE ${q}.history SET event_data = '{"corrupted":true}'
        WHERE instance_id = $1
          AND execution_id = (SELECT COALESCE(MAX(execution_id), 1) FROM ${q}.executions WHERE instance_id = $1)`,
      [instance],
    );
  },
  getMaxAttemptCount: async (provider, instance) => {
    const { rows } = await db.raw.query<{ n: number }>(
      `SELECT COALESCE(MAX(attempt_count), 0)::INT AS n FROM "${schemaOf(provider)}".orchestrator_queue WHERE instance_id = $1`,
      [instance],
    );
    return rows[0]?.n ?? 0;
  },
});
