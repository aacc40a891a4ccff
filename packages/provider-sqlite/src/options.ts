import { resolve } from 'node:path';
import { type Clock, ConfigurationError, DEFAULT_MAX_PAYLOAD_BYTES, systemClock } from '@duroxide/core';

/** Options accepted by `SqliteProvider.open` and `SqliteProvider.inMemory`. */
export interface SqliteProviderOptions {
  /** The source of "now" for lock expiry, visibility and sessions (default: the wall clock). */
  clock?: Clock;
  /** The largest serialized event or work item accepted, in UTF-8 bytes (default 16 MiB). */
  maxPayloadBytes?: number;
  /** How long a write waits for another connection's write lock before failing retryably (default 5000 ms). */
  busyTimeoutMs?: number;
}

/** Options with defaults applied. */
export interface ResolvedSqliteOptions {
  /** The injected clock. */
  clock: Clock;
  /** The payload size limit in bytes. */
  maxPayloadBytes: number;
  /** SQLite's busy timeout in ms. */
  busyTimeoutMs: number;
}

/** Where the database lives: an in-memory database or an absolute file path. */
export type DatabaseLocation = { kind: 'memory' } | { kind: 'file'; path: string };

/** The busy timeout used when none is given. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/** Validates options, naming the offending option in a `ConfigurationError`. */
export function resolveOptions(options: SqliteProviderOptions | undefined): ResolvedSqliteOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new ConfigurationError(`SqliteProvider options: expected an object, got ${String(options)}`);
  }
  const clock = options?.clock ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw new ConfigurationError('SqliteProvider options.clock: expected an object with a now() method');
  }
  const maxPayloadBytes = options?.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (!Number.isSafeInteger(maxPayloadBytes) || maxPayloadBytes <= 0) {
    throw new ConfigurationError(
      `SqliteProvider options.maxPayloadBytes: expected a positive integer, got ${String(maxPayloadBytes)}`,
    );
  }
  const busyTimeoutMs = options?.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new ConfigurationError(
      `SqliteProvider options.busyTimeoutMs: expected a non-negative integer, got ${String(busyTimeoutMs)}`,
    );
  }
  return { clock, maxPayloadBytes, busyTimeoutMs };
}

/**
 * Parses `sqlite::memory:`, `:memory:`, `sqlite:./rel.db`, `sqlite://rel.db`, `sqlite:///abs.db` or a bare
 * path (a `?query` suffix is ignored) into a location with an absolute path.
 */
export function parseLocation(urlOrPath: string): DatabaseLocation {
  if (typeof urlOrPath !== 'string' || urlOrPath.trim() === '') {
    throw new ConfigurationError(
      `SqliteProvider.open: expected a 'sqlite:' URL or a file path, got ${JSON.stringify(urlOrPath)}`,
    );
  }
  let rest = urlOrPath.trim();
  if (rest.startsWith('sqlite:')) {
    rest = rest.slice('sqlite:'.length);
    if (rest.startsWith('//')) rest = rest.slice(2);
    const query = rest.indexOf('?');
    if (query >= 0) rest = rest.slice(0, query);
  }
  if (rest === ':memory:') return { kind: 'memory' };
  if (rest === '') {
    throw new ConfigurationError(`SqliteProvider.open: '${urlOrPath}' names no database file`);
  }
  return { kind: 'file', path: resolve(rest) };
}
