import { ConfigurationError, ProviderError } from '@duroxide/core';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Opens one ioredis connection and waits until it is ready. In-flight commands are never resent after
 * a reconnect (a resent ack or enqueue could apply twice); instead they fail at once with a retryable
 * error when the connection drops, and commands issued while reconnecting wait in the offline queue.
 */
export async function openConnection(url: string, options: RedisOptions, role: string): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 2,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
    ...options,
    autoResendUnfulfilledCommands: false,
    connectionName: options.connectionName ?? `duroxide-${role}`,
  });
  // Errors surface on the commands that hit them; without a listener ioredis would print them.
  client.on('error', () => {});
  client.on('close', () => failInFlight(client));
  try {
    await client.connect();
  } catch (cause) {
    client.disconnect();
    throw ProviderError.retryable(
      'connect',
      `cannot connect to Redis at ${redactUrl(url)}: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause,
    );
  }
  return client;
}

/** Rejects the commands that were sent on a connection that just closed (their outcome is unknown). */
function failInFlight(client: Redis): void {
  const flush = (client as unknown as { flushQueue?: (e: Error, o: object) => void }).flushQueue;
  flush?.call(client, new Error('connection to Redis lost while the command was in flight'), {
    offlineQueue: false,
    commandQueue: true,
  });
}

/** Validates a `redis://` or `rediss://` URL. */
export function checkUrl(url: unknown): string {
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
    throw new ConfigurationError(
      `RedisProvider.connect: expected a redis:// or rediss:// URL, got ${JSON.stringify(url)}`,
    );
  }
  return url;
}

/** The URL without its password, for error messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
