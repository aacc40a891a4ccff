import type { Provider, RuntimeOptions } from '@duroxide/core';

/** How the runtime scenario suite builds providers and runtimes. */
export interface RuntimeScenarioOptions {
  /** Returns a provider over a fresh or shared store; every test uses unique instance ids. */
  createProvider(): Promise<Provider>;
  /** Releases a provider made by `createProvider` (default: `provider.close()`). */
  destroyProvider?(provider: Provider): Promise<void>;
  /** Overrides merged over the suite's fast defaults for every runtime a test starts. */
  runtimeOptions?: Partial<RuntimeOptions>;
}

/** Options with defaults applied; what every scenario group receives. */
export interface ResolvedScenarioOptions {
  /** Makes a provider for one test. */
  createProvider(): Promise<Provider>;
  /** Releases a provider after its test. */
  destroyProvider(provider: Provider): Promise<void>;
  /** The runtime options every test starts from (fast defaults plus the caller's overrides). */
  runtimeOptions: Partial<RuntimeOptions>;
}

/**
 * Defaults that keep the suite fast: short locks so expiry-based recovery is quick, small unregistered
 * backoff so poison tests finish in milliseconds, and enough workers for fan-out tests.
 */
export const FAST_RUNTIME_OPTIONS: Partial<RuntimeOptions> = {
  orchestrationConcurrency: 2,
  workerConcurrency: 4,
  dispatcherMinPollIntervalMs: 10,
  orchestratorLockTimeoutMs: 2_000,
  orchestratorLockRenewalBufferMs: 500,
  workerLockTimeoutMs: 2_000,
  workerLockRenewalBufferMs: 500,
  maxAttempts: 5,
  unregisteredBackoff: { baseDelayMs: 5, maxDelayMs: 20 },
  activityCancellationGracePeriodMs: 200,
  // Quiet by default: poison and retry scenarios would otherwise flood the test output.
  observability: { logLevel: 'off', traceLevel: 'off' },
};

/** Applies the suite's defaults to the caller's options. */
export function resolveScenarioOptions(options: RuntimeScenarioOptions): ResolvedScenarioOptions {
  return {
    createProvider: options.createProvider,
    destroyProvider: options.destroyProvider ?? ((p) => p.close()),
    runtimeOptions: { ...FAST_RUNTIME_OPTIONS, ...options.runtimeOptions },
  };
}
