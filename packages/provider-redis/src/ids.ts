import { ProviderError } from '@duroxide/core';

/**
 * Escapes a user-supplied id (instance, session) for use inside a key: every character outside
 * `[A-Za-z0-9_.-]` becomes `%XX` of its UTF-8 bytes, so an escaped id never contains the `:` key
 * separator or a glob character and two different ids never share a key.
 */
export function encodeId(id: string, operation: string, what = 'instance id'): string {
  if (typeof id !== 'string') {
    throw ProviderError.permanent(operation, `invalid input: ${what} must be a string, got ${typeof id}`);
  }
  try {
    return encodeURIComponent(id).replace(
      /[!'()*~]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  } catch (cause) {
    throw ProviderError.permanent(
      operation,
      `invalid input: ${what} ${JSON.stringify(id)} is not valid UTF-16`,
      cause,
    );
  }
}

/** Reverses `encodeId`. */
export function decodeId(encoded: string): string {
  return decodeURIComponent(encoded);
}

/** Rewrites `<id:escaped>` markers in script error messages into quoted user ids. */
export function decodeIdMarkers(message: string): string {
  return message.replace(/<id:([A-Za-z0-9_.%-]*)>/g, (_, e: string) => `'${safeDecode(e)}'`);
}

function safeDecode(encoded: string): string {
  try {
    return decodeId(encoded);
  } catch {
    return encoded;
  }
}
