import { checkDuration, checkPayloadSize, DurableError, invalidInput, ProviderError } from '@duroxide/core';

/** Shared input checks (from core), re-exported so this package's call sites keep importing `./errors.js`. */
export { checkDuration, checkPayloadSize, invalidInput };

/** SQLSTATE classes (first two characters) whose failures may succeed when retried. */
const RETRYABLE_CLASSES = ['08', '53', '57', '58'];
/** Individual SQLSTATEs that may succeed when retried. */
const RETRYABLE_STATES = new Set([
  '40P01', // deadlock_detected
  '40001', // serialization_failure: retryable by definition (duroxide-pg calls it permanent; we do not)
  '55P03', // lock_not_available
  '55006', // object_in_use
  '28000', // invalid_authorization_specification (rotating credentials)
  '28P01', // invalid_password (rotating credentials)
]);
/** Node and pg client failures that mean the connection or the network failed. */
const RETRYABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
const RETRYABLE_MESSAGES = [
  /connection terminated/i,
  /connection error/i,
  /timeout exceeded when trying to connect/i,
  /timeout expired/i,
  /not queryable/i,
];

/**
 * Maps anything thrown inside a provider call to a `ProviderError` by SQLSTATE: connection loss, timeouts,
 * resource exhaustion, deadlocks and serialization failures are retryable; constraint violations, raised
 * contract errors (invalid token, expired lock, not found) and other database errors are permanent.
 */
export function toProviderError(operation: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof DurableError) return ProviderError.permanent(operation, err.message, err);
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    if (code === '0A000' && /cached plan/i.test(message)) {
      return ProviderError.retryable(operation, `${code}: ${message}`, err);
    }
    if (RETRYABLE_STATES.has(code) || RETRYABLE_CLASSES.includes(code.slice(0, 2))) {
      return ProviderError.retryable(operation, `${code}: ${message}`, err);
    }
    // P0001 is RAISE EXCEPTION from our functions: the message is the contract error itself.
    return ProviderError.permanent(operation, code === 'P0001' ? message : `${code}: ${message}`, err);
  }
  if (typeof code === 'string' && RETRYABLE_NODE_CODES.has(code)) {
    return ProviderError.retryable(operation, `${code}: ${message}`, err);
  }
  if (RETRYABLE_MESSAGES.some((pattern) => pattern.test(message))) {
    return ProviderError.retryable(operation, message, err);
  }
  return ProviderError.permanent(operation, message, err);
}

/** A call on a closed provider. */
export function closedError(operation: string): ProviderError {
  return ProviderError.permanent(operation, 'the Postgres provider is closed');
}

/** Validates a string argument such as an instance id or lock token. */
export function checkString(operation: string, name: string, value: unknown): string {
  if (typeof value !== 'string')
    throw invalidInput(operation, `${name} must be a string, got ${typeof value}`);
  if (value.includes('\u0000')) throw invalidInput(operation, `${name} must not contain NUL characters`);
  return value;
}
