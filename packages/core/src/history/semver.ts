import { ConfigurationError } from '../errors.js';

/** A parsed `major.minor.patch` version. */
export interface Semver {
  major: number;
  minor: number;
  patch: number;
}

/** An inclusive range of versions, both ends included. */
export interface SemverRange {
  min: string;
  max: string;
}

/** Which pinned runtime versions an orchestration fetch accepts (any range may match). */
export interface DispatcherCapabilityFilter {
  supportedDuroxideVersions: SemverRange[];
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:[-+].*)?$/;

/** Parses `1.2.3` (pre-release/build suffixes are ignored); returns null when malformed. */
export function tryParseSemver(text: string): Semver | null {
  const m = SEMVER.exec(text);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** Parses `1.2.3`, throwing a `ConfigurationError` naming `what` when malformed. */
export function parseSemver(text: string, what = 'version'): Semver {
  const v = typeof text === 'string' ? tryParseSemver(text) : null;
  if (!v)
    throw new ConfigurationError(`${what}: '${String(text)}' is not a semantic version (major.minor.patch)`);
  return v;
}

/** Orders two versions: negative, zero or positive. */
export function compareSemver(a: Semver | string, b: Semver | string): number {
  const x = typeof a === 'string' ? parseSemver(a) : a;
  const y = typeof b === 'string' ? parseSemver(b) : b;
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch;
}

/** Whether `version` lies inside the inclusive range. */
export function semverRangeContains(range: SemverRange, version: Semver | string): boolean {
  return compareSemver(range.min, version) <= 0 && compareSemver(version, range.max) <= 0;
}

/** Packs a version into one sortable integer (`major*1e6 + minor*1e3 + patch`), as duroxide's SQL filters do. */
export function packSemver(v: Semver | string): number {
  const s = typeof v === 'string' ? parseSemver(v) : v;
  return s.major * 1_000_000 + s.minor * 1_000 + s.patch;
}

/** Formats a parsed version. */
export function formatSemver(v: Semver): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}
