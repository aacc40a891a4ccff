export {
  type DatabaseLocation,
  DEFAULT_BUSY_TIMEOUT_MS,
  parseLocation,
  type SqliteProviderOptions,
} from './options.js';
export { MIGRATIONS, type Migration, SCHEMA_VERSION } from './schema.js';
export { SQLITE_PROVIDER_VERSION, SqliteProvider } from './sqlite-provider.js';
export { sqliteTestHooks } from './test-hooks.js';
