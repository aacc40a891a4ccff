import { ManualClock } from '@duroxide/core';
import type { ProviderConformanceOptions, ProviderUnderTest, ResolvedConformanceOptions } from './options.js';

/** Applies defaults to the kit options. */
export function resolveOptions(options: ProviderConformanceOptions): ResolvedConformanceOptions {
  return {
    createProvider: options.createProvider,
    destroyProvider: options.destroyProvider ?? ((p) => p.close()),
    lockTimeoutMs: options.lockTimeoutMs ?? 1000,
    shortPollThresholdMs: options.shortPollThresholdMs ?? 100,
    corruptInstanceHistory: options.corruptInstanceHistory,
    getMaxAttemptCount: options.getMaxAttemptCount,
    newClock: () => new ManualClock(Date.now()),
  };
}

/** Creates a provider on a fresh manual clock, runs `body`, and always destroys the provider. */
export async function withProvider<T>(
  options: ResolvedConformanceOptions,
  body: (t: ProviderUnderTest) => Promise<T>,
): Promise<T> {
  const clock = options.newClock();
  const provider = await options.createProvider({ clock });
  try {
    return await body({ provider, clock, lockTimeoutMs: options.lockTimeoutMs });
  } finally {
    await options.destroyProvider(provider);
  }
}

let counter = 0;
/** A unique instance id so suites can share one store. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}
