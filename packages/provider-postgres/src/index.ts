export type { PostgresProviderOptions } from './options.js';
export { POSTGRES_PROVIDER_VERSION, PostgresProvider } from './postgres-provider.js';
export { MIGRATIONS, SCHEMA_VERSION } from './sql/migrations.js';
