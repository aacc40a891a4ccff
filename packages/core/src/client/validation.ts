import { DurableError, InstanceNotFoundError, ProviderError } from '../errors.js';
import { tryParseSemver } from '../history/semver.js';

/** Throws an `INVALID_INPUT` error unless `value` is a non-empty string. */
export function requireName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new DurableError('INVALID_INPUT', `${what} must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

/** Throws an `INVALID_INPUT` error unless `value` is a semantic version. */
export function requireVersion(value: unknown, what: string): string {
  if (typeof value !== 'string' || tryParseSemver(value) === null) {
    throw new DurableError(
      'INVALID_INPUT',
      `${what} must be a semantic version (major.minor.patch), got ${describe(value)}`,
    );
  }
  return value;
}

/** Throws an `INVALID_INPUT` error unless `value` is a finite number >= `min`. */
export function requireNumber(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new DurableError(
      'INVALID_INPUT',
      `${what} must be a finite number >= ${min}, got ${describe(value)}`,
    );
  }
  return value;
}

/** Throws an `INVALID_INPUT` error unless `value` is a plain object. */
export function requireObject<T extends object>(value: unknown, what: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DurableError('INVALID_INPUT', `${what} must be an object, got ${describe(value)}`);
  }
  return value as T;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/**
 * Turns a provider's permanent management error into the client error duroxide reports (by message,
 * as duroxide does): not found, still running, or not a root instance.
 */
export function translateManagementError(err: unknown, instanceId: string): unknown {
  if (!(err instanceof ProviderError) || err.retryable) return err;
  const text = err.message.toLowerCase();
  if (text.includes('not found')) return new InstanceNotFoundError(instanceId, { cause: err });
  if (text.includes('still running') || text.includes('is running')) {
    return new DurableError(
      'INSTANCE_STILL_RUNNING',
      `instance '${instanceId}' is still running; pass force = true to delete it anyway`,
      { cause: err },
    );
  }
  if (text.includes('sub-orchestration') || text.includes('delete the root') || text.includes('child')) {
    return new DurableError(
      'CANNOT_DELETE_SUB_ORCHESTRATION',
      `instance '${instanceId}' is a sub-orchestration; delete its root instance instead`,
      { cause: err },
    );
  }
  return err;
}
