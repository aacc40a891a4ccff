import type { Event } from '../history/events.js';
import {
  MAX_CUSTOM_STATUS_BYTES,
  MAX_KV_KEYS,
  MAX_KV_VALUE_BYTES,
  MAX_TAG_NAME_BYTES,
} from '../history/limits.js';

/** UTF-8 byte length without allocating. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The first size limit this turn's new events break (duroxide §4.14 with API.md's numbers), as the
 * failure message naming it, or null. `kvKeyCount` is the key count after the turn: snapshot plus every
 * set/clear of this execution, earlier turns included (the key-count quirk fixed).
 */
export function limitViolation(newEvents: readonly Event[], kvKeyCount: number): string | null {
  let lastStatus: string | null | undefined;
  let kvTouched = false;
  for (const e of newEvents) {
    if (e.kind === 'CustomStatusUpdated') lastStatus = e.status;
  }
  if (typeof lastStatus === 'string') {
    const size = utf8Length(lastStatus);
    if (size > MAX_CUSTOM_STATUS_BYTES) {
      return `Custom status size (${size} bytes) exceeds limit (${MAX_CUSTOM_STATUS_BYTES} bytes)`;
    }
  }
  for (const e of newEvents) {
    if (e.kind === 'ActivityScheduled' && e.tag !== undefined) {
      const size = utf8Length(e.tag);
      if (size > MAX_TAG_NAME_BYTES) {
        return `Activity '${e.name}' tag size (${size} bytes) exceeds limit (${MAX_TAG_NAME_BYTES} bytes)`;
      }
    }
  }
  for (const e of newEvents) {
    if (e.kind === 'KeyValueSet') {
      kvTouched = true;
      const size = utf8Length(e.value);
      if (size > MAX_KV_VALUE_BYTES) {
        return `KV value for key '${e.key}' (${size} bytes) exceeds limit (${MAX_KV_VALUE_BYTES} bytes)`;
      }
    }
  }
  if (kvTouched && kvKeyCount > MAX_KV_KEYS)
    return `KV key count (${kvKeyCount}) exceeds limit (${MAX_KV_KEYS})`;
  return null;
}
