import { ConfigurationError } from '../errors.js';
import { MAX_TAG_NAME_BYTES, MAX_WORKER_TAGS } from './limits.js';

/**
 * Which activity tags a worker accepts: untagged only (`defaultOnly`, the default), everything (`any`),
 * nothing (`none`), only the listed tags, or untagged plus the listed tags.
 */
export type TagFilter = 'defaultOnly' | 'any' | 'none' | { tags: string[] } | { defaultAnd: string[] };

/** Throws a `ConfigurationError` when a filter is malformed (empty or more than five tags, oversized tag). */
export function validateTagFilter(filter: TagFilter, optionName = 'workerTagFilter'): TagFilter {
  if (filter === 'defaultOnly' || filter === 'any' || filter === 'none') return filter;
  if (typeof filter !== 'object' || filter === null) {
    throw new ConfigurationError(
      `${optionName}: expected 'defaultOnly', 'any', 'none', { tags } or { defaultAnd }`,
    );
  }
  const list = 'tags' in filter ? filter.tags : 'defaultAnd' in filter ? filter.defaultAnd : undefined;
  if (!Array.isArray(list)) {
    throw new ConfigurationError(`${optionName}: expected { tags: string[] } or { defaultAnd: string[] }`);
  }
  if (list.length === 0) throw new ConfigurationError(`${optionName}: the tag list must not be empty`);
  if (list.length > MAX_WORKER_TAGS) {
    throw new ConfigurationError(
      `${optionName}: at most ${MAX_WORKER_TAGS} tags allowed, got ${list.length}`,
    );
  }
  for (const tag of list) validateTag(tag, optionName);
  return filter;
}

/** Throws a `ConfigurationError` for a tag that is not a non-empty string of at most 256 UTF-8 bytes. */
export function validateTag(tag: unknown, what = 'tag'): string {
  if (typeof tag !== 'string' || tag.length === 0) {
    throw new ConfigurationError(`${what}: a tag must be a non-empty string`);
  }
  const bytes = Buffer.byteLength(tag, 'utf8');
  if (bytes > MAX_TAG_NAME_BYTES) {
    throw new ConfigurationError(
      `${what}: tag size (${bytes} bytes) exceeds limit (${MAX_TAG_NAME_BYTES} bytes)`,
    );
  }
  return tag;
}

/** Whether a worker with this filter may run an activity with this tag (`null` = untagged). */
export function tagFilterMatches(filter: TagFilter, tag: string | null | undefined): boolean {
  const untagged = tag === null || tag === undefined;
  if (filter === 'defaultOnly') return untagged;
  if (filter === 'any') return true;
  if (filter === 'none') return false;
  if ('tags' in filter) return !untagged && filter.tags.includes(tag);
  return untagged || filter.defaultAnd.includes(tag);
}
