import { readdirSync, readFileSync } from 'node:fs';
import { startRedis } from './servers.mjs';

/** The pid of the local redis-server listening on `port` (its title is "redis-server host:port"), or null. */
function localServerPid(port) {
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmd.startsWith('redis-server') && cmd.includes(`:${port}`)) return Number(pid);
      } catch {}
    }
  } catch {}
  return null;
}

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
    /** The local server's pid (W7 reports its CPU), or null for an external server. */
    serverPid: () => (process.env.DUROXIDE_REDIS_URL ? null : localServerPid(new URL(server.url).port)),
    cleanup: () => server.stop(),
  };
}
