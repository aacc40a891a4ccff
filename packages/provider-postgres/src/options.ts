import { type Clock, ConfigurationError, DEFAULT_MAX_PAYLOAD_BYTES, systemClock } from '@duroxide/core';

/** Options accepted by `PostgresProvider.connect` and `PostgresProvider.connectWithSchema`. */
export interface PostgresProviderOptions {
  /** The source of "now" for lock expiry, visibility and sessions (default: the wall clock). */
  clock?: Clock;
  /** The most pooled connections this provider opens, besides its one LISTEN connection (default 10). */
  poolSize?: number;
  /** The largest serialized event or work item accepted, in UTF-8 bytes (default 16 MiB). */
  maxPayloadBytes?: number;
  /** How long to wait for a new connection before failing retryably, in ms (default 10000). */
  connectionTimeoutMs?: number;
  /** The `application_name` reported to Postgres (default `duroxide`). */
  applicationName?: string;
}

/** Options with defaults applied. */
export interface ResolvedPostgresOptions {
  /** The injected clock. */
  clock: Clock;
  /** The pool size. */
  poolSize: number;
  /** The payload size limit in bytes. */
  maxPayloadBytes: number;
  /** The connection timeout in ms. */
  connectionTimeoutMs: number;
  /** The application name. */
  applicationName: string;
}

/** The schema `connect` uses. */
export const DEFAULT_SCHEMA = 'public';

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Validates options, naming the offending option in a `ConfigurationError`. */
export function resolveOptions(options: PostgresProviderOptions | undefined): ResolvedPostgresOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new ConfigurationError(`PostgresProvider options: expected an object, got ${String(options)}`);
  }
  const clock = options?.clock ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw new ConfigurationError('PostgresProvider options.clock: expected an object with a now() method');
  }
  return {
    clock,
    poolSize: positiveInteger('poolSize', options?.poolSize ?? 10),
    maxPayloadBytes: positiveInteger(
      'maxPayloadBytes',
      options?.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    ),
    connectionTimeoutMs: positiveInteger('connectionTimeoutMs', options?.connectionTimeoutMs ?? 10_000),
    applicationName: applicationName(options?.applicationName ?? 'duroxide'),
  };
}

/** Validates a schema name: 1-63 characters, letters, digits and `_`, not starting with a digit. */
export function validateSchemaName(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new ConfigurationError(
      `PostgresProvider schema: expected 1-63 letters, digits or '_' not starting with a digit, got ${JSON.stringify(schema)}`,
    );
  }
  if (schema.toLowerCase().startsWith('pg_')) {
    throw new ConfigurationError(
      `PostgresProvider schema: '${schema}' is reserved (names starting with pg_)`,
    );
  }
  return schema;
}

/** Validates a connection URL (a `postgres://` or `postgresql://` URL). */
export function validateUrl(url: unknown): string {
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigurationError(
      `PostgresProvider url: expected a 'postgres://' or 'postgresql://' connection URL, got ${typeof url === 'string' ? 'a string without that scheme' : String(url)}`,
    );
  }
  return url;
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(
      `PostgresProvider options.${name}: expected a positive integer, got ${String(value)}`,
    );
  }
  return value;
}

function applicationName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 63) {
    throw new ConfigurationError(
      `PostgresProvider options.applicationName: expected 1-63 characters, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
