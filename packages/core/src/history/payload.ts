import { DurableError } from '../errors.js';

/**
 * Serializes a user value to the JSON text stored in history (`undefined` becomes `null`); throws an
 * `INVALID_INPUT` error naming `what` for values JSON cannot carry (BigInt, cycles, functions).
 */
export function encodePayload(value: unknown, what: string): string {
  if (value === undefined) return 'null';
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new DurableError('INVALID_INPUT', `${what} is not JSON-serializable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (text === undefined) {
    throw new DurableError('INVALID_INPUT', `${what} is not JSON-serializable (${typeof value})`);
  }
  return text;
}

/** Parses stored JSON text back into a value; text that is not JSON is returned as the string itself. */
export function decodePayload<T = unknown>(text: string | null | undefined): T {
  if (text === null || text === undefined) return null as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}
