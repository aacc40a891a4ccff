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

/** Per-runtime orchestration handlers, keyed by name and semantic version. */
export class OrchestrationRegistry {
  private readonly byName = new Map<string, Map<string, OrchestrationHandler>>();

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

  /** The exact version when `version` is given, else the latest; null when not registered. */
  resolve(name: string, version: string | null): ResolvedOrchestration | null {
    const versions = this.byName.get(name);
    if (!versions) return null;
    if (version !== null) {
      const parsed = tryParseSemver(version);
      const key = parsed ? formatSemver(parsed) : version;
      const handler = versions.get(key);
      return handler ? { version: key, handler } : null;
    }
    const latest = this.latestVersion(name);
    return latest === null ? null : { version: latest, handler: versions.get(latest)! };
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
