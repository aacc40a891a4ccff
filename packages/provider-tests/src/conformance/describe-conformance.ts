import { describe } from 'vitest';
import { ALL_GROUPS } from './groups/index.js';
import { resolveOptions } from './harness.js';
import type { ProviderConformanceOptions, ResolvedConformanceOptions } from './options.js';

/** One conformance group: registers its tests (inside the group's `describe`). */
export type ConformanceGroup = (options: ResolvedConformanceOptions) => void;

/** Registers the whole provider conformance suite (every duroxide validation group) for a provider. */
export function describeProviderConformance(name: string, options: ProviderConformanceOptions): void {
  const resolved = resolveOptions(options);
  describe(`provider conformance: ${name}`, () => {
    for (const [group, register] of ALL_GROUPS) {
      describe(group, () => register(resolved));
    }
  });
}
