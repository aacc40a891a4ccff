import { ProviderError } from '../errors.js';

/** Bad input from the caller; nothing was written (a permanent `ProviderError`). */
export function invalidInput(operation: string, problem: string): ProviderError {
  return ProviderError.permanent(operation, `invalid input: ${problem}`);
}

/** Throws when a serialized payload is larger than the configured limit; call it before writing anything. */
export function checkPayloadSize(operation: string, what: string, text: string, limit: number): void {
  // Fast path: a JS string never has more UTF-8 bytes than 3x its UTF-16 length.
  if (text.length * 3 <= limit) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limit) {
    throw ProviderError.permanent(
      operation,
      `payload too large: ${what} is ${bytes} bytes, exceeding the limit of ${limit} bytes (maxPayloadBytes)`,
    );
  }
}

/** Validates a duration argument in ms (optionally rejecting zero); returns it floored. */
export function checkDuration(operation: string, name: string, value: unknown, allowZero = true): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw invalidInput(
      operation,
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} finite number of milliseconds, got ${String(value)}`,
    );
  }
  return Math.floor(value);
}
