/** Opens a provider from a serializable spec (used by child processes in W7). */
export async function openFromSpec(spec) {
  switch (spec.kind) {
    case 'redis': {
      const { RedisProvider } = await import('@duroxide/provider-redis');
      return RedisProvider.connect(spec.url, { keyPrefix: spec.keyPrefix });
    }
    case 'postgres': {
      const { PostgresProvider } = await import('@duroxide/provider-postgres');
      return PostgresProvider.connectWithSchema(spec.url, spec.schema);
    }
    case 'sqlite': {
      const { SqliteProvider } = await import('@duroxide/provider-sqlite');
      return SqliteProvider.open(spec.url);
    }
    default:
      throw new Error(`unknown provider kind '${spec.kind}'`);
  }
}
