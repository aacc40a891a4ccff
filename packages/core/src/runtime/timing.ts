import { ProviderError } from '../errors.js';

/**
 * duroxide's lock renewal interval (§5.5): `timeout − min(buffer, timeout)` for timeouts of 15 s and more,
 * otherwise half the timeout rounded up to whole seconds; never below 1 s. Deliberate fix: below 2 s the
 * 1 s floor would renew only when the lock has already expired, so short (test) timeouts renew at half the
 * timeout in milliseconds instead.
 */
export function lockRenewalIntervalMs(timeoutMs: number, bufferMs: number): number {
  if (timeoutMs >= 15_000) return Math.max(1_000, timeoutMs - Math.min(bufferMs, timeoutMs));
  if (timeoutMs < 2_000) return Math.max(10, Math.ceil(timeoutMs / 2));
  return Math.max(1_000, Math.ceil((timeoutMs * 0.5) / 1_000) * 1_000);
}

/** duroxide's unregistered-handler backoff (§5.7): `min(base × 2^min(attempt−1, 6), max)`. */
export function unregisteredBackoffMs(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 6);
  return Math.min(baseDelayMs * 2 ** exponent, maxDelayMs);
}

/**
 * Delay after a failed fetch: retryable provider errors back off `min(100·2^n, 3000)` ms (n = errors in a
 * row before this one); anything else waits a flat 100 ms.
 */
export function fetchErrorBackoffMs(err: unknown, consecutiveErrors: number): number {
  if (err instanceof ProviderError && err.retryable) {
    return Math.min(100 * 2 ** Math.min(consecutiveErrors, 10), 3_000);
  }
  return 100;
}

/** How many times a retryable ack is retried, and the delay before retry k (0-based): 10·2^k ms. */
export const ACK_RETRIES = 5;

/** Delay before ack retry `k` (0-based). */
export function ackRetryDelayMs(k: number): number {
  return 10 * 2 ** k;
}

/** Whether an error is a provider error that may succeed on retry. */
export function isRetryableProviderError(err: unknown): boolean {
  return err instanceof ProviderError && err.retryable;
}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) {
      resolve();
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A text for an unknown thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
