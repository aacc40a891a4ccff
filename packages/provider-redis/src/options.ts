import { type Clock, ConfigurationError, DEFAULT_MAX_PAYLOAD_BYTES, systemClock } from '@duroxide/core';
import type { RedisOptions } from 'ioredis';

/** Options accepted by `RedisProvider.connect`. */
export interface RedisProviderOptions {
  /**
   * Every key this provider touches starts with `<keyPrefix>:`, so several applications (or test runs)
   * can share one Redis database. Letters, digits and `_ . - / :` only, at most 128 characters.
   */
  keyPrefix: string;
  /** The source of "now" for lock expiry, visibility and sessions (default: the wall clock). */
  clock?: Clock;
  /** The largest serialized event or work item accepted, in UTF-8 bytes (default 16 MiB). */
  maxPayloadBytes?: number;
  /**
   * How often a long-polling fetch re-checks even without a notification, in ms (default 2000); a
   * safety net for notifications lost while the subscriber connection reconnects.
   */
  recheckIntervalMs?: number;
  /** Extra ioredis options (TLS, auth, timeouts, retry strategy); `keyPrefix` is not allowed here. */
  redisOptions?: RedisOptions;
}

/** Options with defaults applied. */
export interface ResolvedRedisOptions {
  /** The key prefix. */
  keyPrefix: string;
  /** The injected clock. */
  clock: Clock;
  /** The payload size limit in bytes. */
  maxPayloadBytes: number;
  /** The long-poll safety re-check interval in ms. */
  recheckIntervalMs: number;
  /** ioredis options passed through. */
  redisOptions: RedisOptions;
}

const PREFIX = /^[A-Za-z0-9_.\-/:]{1,128}$/;

/** Validates options, naming the offending option in a `ConfigurationError`. */
export function resolveOptions(options: RedisProviderOptions | undefined): ResolvedRedisOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('RedisProvider options: expected an object with at least { keyPrefix }');
  }
  const { keyPrefix } = options;
  if (typeof keyPrefix !== 'string' || !PREFIX.test(keyPrefix)) {
    throw new ConfigurationError(
      `RedisProvider options.keyPrefix: expected 1-128 characters from [A-Za-z0-9_.-/:], got ${JSON.stringify(keyPrefix)}`,
    );
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw new ConfigurationError('RedisProvider options.clock: expected an object with a now() method');
  }
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (!Number.isSafeInteger(maxPayloadBytes) || maxPayloadBytes <= 0) {
    throw new ConfigurationError(
      `RedisProvider options.maxPayloadBytes: expected a positive integer, got ${String(maxPayloadBytes)}`,
    );
  }
  const recheckIntervalMs = options.recheckIntervalMs ?? 2000;
  if (!Number.isSafeInteger(recheckIntervalMs) || recheckIntervalMs <= 0) {
    throw new ConfigurationError(
      `RedisProvider options.recheckIntervalMs: expected a positive integer, got ${String(recheckIntervalMs)}`,
    );
  }
  const redisOptions = options.redisOptions ?? {};
  if (typeof redisOptions !== 'object' || redisOptions === null) {
    throw new ConfigurationError('RedisProvider options.redisOptions: expected an object');
  }
  if (redisOptions.keyPrefix !== undefined) {
    throw new ConfigurationError(
      'RedisProvider options.redisOptions.keyPrefix: not supported (scripts build keys themselves); use options.keyPrefix',
    );
  }
  return { keyPrefix, clock, maxPayloadBytes, recheckIntervalMs, redisOptions };
}
