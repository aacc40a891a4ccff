import type { Clock, ManualClock, Provider } from '@duroxide/core';

/** What the kit hands `createProvider`: the clock the provider must use for every comparison. */
export interface ProviderTestContext {
  /** A manual clock tests move instead of sleeping; pass it to the provider's `clock` option. */
  clock: ManualClock;
}

/** How the conformance kit builds and inspects providers. */
export interface ProviderConformanceOptions {
  /** Returns a provider over a fresh, empty, isolated store (several tests assert an empty queue or store). */
  createProvider(context: ProviderTestContext): Promise<Provider>;
  /** Releases a provider made by `createProvider` (default: `provider.close()`). */
  destroyProvider?(provider: Provider): Promise<void>;
  /** The lock timeout tests pass to fetches (default 1000 ms; time is moved with the manual clock). */
  lockTimeoutMs?: number;
  /** How fast a short-poll fetch must return, in real ms (default 100). */
  shortPollThresholdMs?: number;
  /** Raw-storage hook: makes the current execution's stored history unreadable (valid JSON, wrong shape). */
  corruptInstanceHistory?(provider: Provider, instance: string): Promise<void>;
  /** Raw-storage hook: the highest attempt count among the instance's queued orchestrator messages. */
  getMaxAttemptCount?(provider: Provider, instance: string): Promise<number>;
}

/** Options with defaults applied, plus a clock factory; what every group receives. */
export interface ResolvedConformanceOptions
  extends Required<Omit<ProviderConformanceOptions, 'corruptInstanceHistory' | 'getMaxAttemptCount'>> {
  corruptInstanceHistory: ProviderConformanceOptions['corruptInstanceHistory'];
  getMaxAttemptCount: ProviderConformanceOptions['getMaxAttemptCount'];
  /** Makes a fresh manual clock starting at the current wall time. */
  newClock(): ManualClock;
}

/** A clock-bound provider handle tests use. */
export interface ProviderUnderTest {
  provider: Provider;
  clock: ManualClock;
  lockTimeoutMs: number;
}

export type { Clock };
