import { startRedis } from './servers.mjs';

/** A Redis store for benchmarks: DUROXIDE_REDIS_URL or a throwaway server; one key prefix per workload. */
export async function redisStore() {
  const { RedisProvider } = await import('@duroxide/provider-redis');
  const server = process.env.DUROXIDE_REDIS_URL
    ? { url: process.env.DUROXIDE_REDIS_URL, stop: async () => {} }
    : await startRedis();
  let prefix = `bench-${Date.now().toString(36)}`;
  return {
    name: 'redis',
    settings: { server: process.env.DUROXIDE_REDIS_URL ? 'external' : 'local redis-server, AOF everysec' },
    url: server.url,
    get keyPrefix() {
      return prefix;
    },
    /** Starts a new key space (each workload runs on an empty store). */
    fresh() {
      prefix = `bench-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    },
    /** A serializable description for child processes. */
    spec: () => ({ kind: 'redis', url: server.url, keyPrefix: prefix }),
    open: () => RedisProvider.connect(server.url, { keyPrefix: prefix }),
    cleanup: () => server.stop(),
  };
}
