import { checkDuration, checkPayloadSize, DurableError, invalidInput, ProviderError } from '@duroxide/core';
import { decodeIdMarkers } from './ids.js';

/** Shared input checks (from core), re-exported so this package's call sites keep importing `./errors.js`. */
export { checkDuration, checkPayloadSize, invalidInput };

/** Redis error codes that mean "try again later" (server loading, busy script, failover, memory pressure). */
const RETRYABLE_REPLY_CODES = [
  'LOADING',
  'BUSY',
  'TRYAGAIN',
  'MASTERDOWN',
  'READONLY',
  'OOM',
  'CLUSTERDOWN',
  'NOREPLICAS',
];

/** The suffix Redis appends to errors raised inside scripts. */
const SCRIPT_SUFFIX = / script: [0-9a-f]+, on @user_script:\d+\.?$/;

/**
 * Maps anything thrown by a Redis call to a `ProviderError`: contract violations raised by the scripts
 * (`DUROXIDE ...`: bad tokens, expired locks, duplicates, not found) are permanent with their message;
 * transient server states are retryable; other server replies (bugs, bad configuration) are permanent;
 * everything else (lost connection, timeouts, retries exhausted) is retryable.
 */
export function toProviderError(operation: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof DurableError) return ProviderError.permanent(operation, err.message, err);
  const message = err instanceof Error ? err.message : String(err);
  if (isReplyError(err)) {
    if (message.startsWith('DUROXIDE ')) {
      return ProviderError.permanent(
        operation,
        decodeIdMarkers(message.slice(9).replace(SCRIPT_SUFFIX, '')),
        err,
      );
    }
    const code = message.split(' ', 1)[0] ?? '';
    if (RETRYABLE_REPLY_CODES.includes(code))
      return ProviderError.retryable(operation, `Redis: ${message}`, err);
    return ProviderError.permanent(operation, `Redis: ${message}`, err);
  }
  return ProviderError.retryable(operation, `Redis connection problem: ${message}`, err);
}

/** Whether the error is a reply from the Redis server (as opposed to a client or network failure). */
export function isReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError';
}

/** A call on a closed provider. */
export function closedError(operation: string): ProviderError {
  return ProviderError.permanent(operation, 'the Redis provider is closed');
}
