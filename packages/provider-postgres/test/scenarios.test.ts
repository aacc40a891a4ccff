import './support/pg-cjs-shim.js';
import { describeRuntimeScenarios } from '@duroxide/provider-tests';
import { PostgresProvider } from '../src/index.js';
import { usePostgres } from './support/test-db.js';

const db = usePostgres();

// A store of its own per test (a fresh or emptied schema): every scenario runs on an empty store.
describeRuntimeScenarios('postgres', {
  createProvider: () => PostgresProvider.connectWithSchema(db.url, db.emptySchema('scen'), { poolSize: 6 }),
  destroyProvider: async (provider) => {
    await provider.close();
    await db.recycle((provider as PostgresProvider).schema);
  },
});
