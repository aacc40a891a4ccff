import { checkDuration, checkPayloadSize, DurableError, invalidInput, ProviderError } from '@duroxide/core';

/** Shared input checks (from core), re-exported so this package's call sites keep importing `./errors.js`. */
export { checkDuration, checkPayloadSize, invalidInput };

const RETRYABLE_CODES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_PROTOCOL'];
const PERMANENT_CODES = [
  'SQLITE_CONSTRAINT',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_READONLY',
  'SQLITE_MISMATCH',
  'SQLITE_TOOBIG',
  'SQLITE_RANGE',
  'SQLITE_ERROR',
];

/**
 * Maps anything thrown inside a provider call to a `ProviderError`: SQLite busy/locked/IO errors are
 * retryable, constraint and corruption errors permanent, other `DurableError`s (bad input, corrupt
 * records) permanent, and unknown failures retryable (SQLite's conservative default).
 */
export function toProviderError(operation: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof DurableError) return ProviderError.permanent(operation, err.message, err);
  const code = sqliteCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code !== null) {
    if (RETRYABLE_CODES.some((c) => code.startsWith(c))) {
      return ProviderError.retryable(operation, `${code}: ${message}`, err);
    }
    if (PERMANENT_CODES.some((c) => code.startsWith(c))) {
      return ProviderError.permanent(operation, `${code}: ${message}`, err);
    }
  }
  if (err instanceof TypeError && /database connection is not open/i.test(message)) {
    return closedError(operation);
  }
  return ProviderError.retryable(operation, message, err);
}

/** The SQLite result code of a better-sqlite3 error, or null. */
export function sqliteCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/** A call on a closed provider. */
export function closedError(operation: string): ProviderError {
  return ProviderError.permanent(operation, 'the SQLite provider is closed');
}

/** A lock token that matches no live lock (never issued, already acked or abandoned, or stolen). */
export function invalidLockToken(operation: string, token: string): ProviderError {
  return ProviderError.permanent(
    operation,
    `Invalid lock token '${token}': no lock held with this token (already released, acked, cancelled or never issued)`,
  );
}

/** A lock token whose lock has expired (`what` is `Instance` or `Activity`). */
export function lockExpired(
  operation: string,
  what: 'Instance' | 'Activity',
  token: string,
  lockedUntil: number,
  now: number,
): ProviderError {
  return ProviderError.permanent(
    operation,
    `${what} lock expired: the lock for token '${token}' expired at ${lockedUntil} (now ${now})`,
  );
}

/** A stored row that cannot be decoded, named by table and key. */
export function corruptRow(operation: string, table: string, row: string, cause: unknown): ProviderError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return ProviderError.permanent(operation, `corrupt ${table} row ${row}: ${detail}`, cause);
}
