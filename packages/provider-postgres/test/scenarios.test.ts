import './support/pg-cjs-shim.js';
import { describeRuntimeScenarios } from '@duroxide/provider-tests';
import { PostgresProvider } from '../src/index.js';
import { usePostgres } from './support/test-db.js';

const db = usePostgres();

// A fresh schema per test: every scenario runs on an empty store on the shared server.
describeRuntimeScenarios('postgres', {
  createProvider: () => PostgresProvider.connectWithSchema(db.url, db.schema('scen'), { poolSize: 6 }),
  destroyProvider: async (provider) => {
    await provider.close();
    await db.dropSchema((provider as PostgresProvider).schema);
  },
});
