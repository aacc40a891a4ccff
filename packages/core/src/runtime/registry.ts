import type { ActivityHandler, OrchestrationHandler } from '../definitions.js';
import { ConfigurationError } from '../errors.js';
import { compareSemver, formatSemver, tryParseSemver } from '../history/semver.js';
import { SYSTEM_ACTIVITY_PREFIX } from './system-activities.js';

/** The version of every unversioned orchestration registration. */
export const DEFAULT_ORCHESTRATION_VERSION = '1.0.0';

/** A resolved orchestration: the exact version and its handler. */
export interface ResolvedOrchestration {
  version: string;
  handler: OrchestrationHandler;
}

/** Throws a `ConfigurationError` for an empty, non-string or reserved handler name. */
export function validateHandlerName(name: unknown, what: 'activity' | 'orchestration'): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new ConfigurationError(
      `${what} name: must be a non-empty string, got ${JSON.stringify(name) ?? String(name)}`,
    );
  }
  if (name.startsWith(SYSTEM_ACTIVITY_PREFIX)) {
    throw new ConfigurationError(
      `${what} name '${name}': the prefix '${SYSTEM_ACTIVITY_PREFIX}' is reserved`,
    );
  }
  return name;
}

function validateHandler(handler: unknown, label: string): void {
  if (typeof handler !== 'function') {
    throw new ConfigurationError(`${label}: the handler must be a function, got ${typeof handler}`);
  }
}

/**
 * How a start without an explicit version picks one: the latest registered version (the default), or one
 * exact version, which pins new starts while newer versions are deployed but not yet enabled.
 */
export type VersionPolicy = 'latest' | { exact: string };

/** Per-runtime orchestration handlers, keyed by name and semantic version. */
export class OrchestrationRegistry {
  private readonly byName = new Map<string, Map<string, OrchestrationHandler>>();
  /** Exact-version policies by name; names without one use the latest version. */
  private readonly exact = new Map<string, string>();

  /** Adds `name@version`; throws on a bad name, a bad version or a duplicate. */
  register(name: string, version: string, handler: OrchestrationHandler): void {
    validateHandlerName(name, 'orchestration');
    const parsed = typeof version === 'string' ? tryParseSemver(version) : null;
    if (!parsed) {
      throw new ConfigurationError(
        `orchestration '${name}' version: '${String(version)}' is not a semantic version (major.minor.patch)`,
      );
    }
    validateHandler(handler, `orchestration '${name}@${version}'`);
    const canonical = formatSemver(parsed);
    const versions = this.byName.get(name) ?? new Map<string, OrchestrationHandler>();
    if (versions.has(canonical)) {
      throw new ConfigurationError(`orchestration '${name}@${canonical}' is already registered`);
    }
    versions.set(canonical, handler);
    this.byName.set(name, versions);
  }

  /**
   * Sets how starts without a version resolve `name`; may change while running (the next start sees it).
   * An exact version need not be registered here: such starts wait, unregistered, for a node that has it.
   */
  setPolicy(name: string, policy: VersionPolicy): void {
    validateHandlerName(name, 'orchestration');
    if (policy === 'latest') {
      this.exact.delete(name);
      return;
    }
    const version = typeof policy === 'object' && policy !== null ? policy.exact : undefined;
    const parsed = typeof version === 'string' ? tryParseSemver(version) : null;
    if (!parsed) {
      throw new ConfigurationError(
        `version policy for '${name}': expected 'latest' or { exact: 'major.minor.patch' }, got ${JSON.stringify(policy)}`,
      );
    }
    this.exact.set(name, formatSemver(parsed));
  }

  /** The version a start without one resolves to: the exact policy's, else the latest; null when none. */
  defaultVersion(name: string): string | null {
    return this.exact.get(name) ?? this.latestVersion(name);
  }

  /** The exact version when `version` is given, else the policy's; null when not registered. */
  resolve(name: string, version: string | null): ResolvedOrchestration | null {
    const versions = this.byName.get(name);
    if (!versions) return null;
    const wanted = version ?? this.defaultVersion(name);
    if (wanted === null) return null;
    const parsed = tryParseSemver(wanted);
    const key = parsed ? formatSemver(parsed) : wanted;
    const handler = versions.get(key);
    return handler ? { version: key, handler } : null;
  }

  /** The highest registered version of `name`, or null. */
  latestVersion(name: string): string | null {
    const versions = this.byName.get(name);
    if (!versions || versions.size === 0) return null;
    return [...versions.keys()].reduce((a, b) => (compareSemver(a, b) >= 0 ? a : b));
  }

  /** Every registered `name` with its versions, for diagnostics. */
  names(): string[] {
    return [...this.byName.keys()];
  }
}

/** Per-runtime activity handlers, keyed by name. */
export class ActivityRegistry {
  private readonly byName = new Map<string, ActivityHandler>();

  /** Adds a user activity; throws on a bad or reserved name, or a duplicate. */
  register(name: string, handler: ActivityHandler): void {
    validateHandlerName(name, 'activity');
    this.add(name, handler);
  }

  /** Adds a built-in activity (names under the reserved prefix). */
  registerSystem(name: string, handler: ActivityHandler): void {
    this.add(name, handler);
  }

  /** The handler, or undefined when not registered. */
  get(name: string): ActivityHandler | undefined {
    return this.byName.get(name);
  }

  private add(name: string, handler: ActivityHandler): void {
    validateHandler(handler, `activity '${name}'`);
    if (this.byName.has(name)) throw new ConfigurationError(`activity '${name}' is already registered`);
    this.byName.set(name, handler);
  }
}
