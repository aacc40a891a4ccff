import {
  ConfigurationError,
  DEFAULT_RUNTIME_OPTIONS,
  DUROXIDE_VERSION,
  resolveRuntimeOptions,
} from '@duroxide/core';
import { describe, expect, it } from 'vitest';

function configError(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('RuntimeOptions defaults', () => {
  it("applies duroxide's defaults (reference §5.2) and the documented concurrency", () => {
    const o = resolveRuntimeOptions();
    expect(o).toMatchObject({
      orchestrationConcurrency: 4,
      workerConcurrency: 8,
      dispatcherMinPollIntervalMs: 100,
      dispatcherLongPollTimeoutMs: 30_000,
      orchestratorLockTimeoutMs: 5_000,
      orchestratorLockRenewalBufferMs: 2_000,
      workerLockTimeoutMs: 30_000,
      workerLockRenewalBufferMs: 5_000,
      maxAttempts: 10,
      unregisteredBackoff: { baseDelayMs: 1_000, maxDelayMs: 60_000 },
      activityCancellationGracePeriodMs: 10_000,
      supportedReplayVersions: [{ min: '0.0.0', max: DUROXIDE_VERSION }],
      sessionLockTimeoutMs: 30_000,
      sessionLockRenewalBufferMs: 5_000,
      sessionIdleTimeoutMs: 300_000,
      sessionCleanupIntervalMs: 300_000,
      maxSessionsPerRuntime: 10,
      workerNodeId: null,
      workerTagFilter: 'defaultOnly',
    });
    expect(o.observability.logLevel).toBe('warn');
    expect(o.observability.traceLevel).toBe('info');
    expect(DEFAULT_RUNTIME_OPTIONS.maxAttempts).toBe(10);
  });

  it('keeps valid overrides', () => {
    const o = resolveRuntimeOptions({
      orchestrationConcurrency: 0,
      workerConcurrency: 1,
      workerTagFilter: { defaultAnd: ['gpu'] },
      workerNodeId: 'pod-1',
      unregisteredBackoff: { baseDelayMs: 10 },
      supportedReplayVersions: [{ min: '0.1.0', max: '0.2.0' }],
    });
    expect(o.orchestrationConcurrency).toBe(0);
    expect(o.workerTagFilter).toEqual({ defaultAnd: ['gpu'] });
    expect(o.workerNodeId).toBe('pod-1');
    expect(o.unregisteredBackoff).toEqual({ baseDelayMs: 10, maxDelayMs: 60_000 });
    expect(o.supportedReplayVersions).toEqual([{ min: '0.1.0', max: '0.2.0' }]);
  });
});

describe('RuntimeOptions validation names the option', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['negative concurrency', { orchestrationConcurrency: -1 }, /^orchestrationConcurrency: must be >= 0/],
    ['fractional concurrency', { workerConcurrency: 1.5 }, /^workerConcurrency: expected an integer/],
    [
      'string number',
      { dispatcherMinPollIntervalMs: '100' },
      /^dispatcherMinPollIntervalMs: expected a finite number/,
    ],
    [
      'NaN',
      { dispatcherLongPollTimeoutMs: Number.NaN },
      /^dispatcherLongPollTimeoutMs: expected a finite number/,
    ],
    ['zero lock timeout', { orchestratorLockTimeoutMs: 0 }, /^orchestratorLockTimeoutMs: must be > 0/],
    [
      'negative buffer',
      { orchestratorLockRenewalBufferMs: -5 },
      /^orchestratorLockRenewalBufferMs: must be >= 0/,
    ],
    ['zero worker lock', { workerLockTimeoutMs: 0 }, /^workerLockTimeoutMs: must be > 0/],
    ['negative worker buffer', { workerLockRenewalBufferMs: -1 }, /^workerLockRenewalBufferMs/],
    ['zero max attempts', { maxAttempts: 0 }, /^maxAttempts: must be >= 1/],
    ['infinite grace', { activityCancellationGracePeriodMs: Infinity }, /^activityCancellationGracePeriodMs/],
    ['zero session lock', { sessionLockTimeoutMs: 0 }, /^sessionLockTimeoutMs: must be > 0/],
    ['negative session buffer', { sessionLockRenewalBufferMs: -1 }, /^sessionLockRenewalBufferMs/],
    ['zero cleanup interval', { sessionCleanupIntervalMs: 0 }, /^sessionCleanupIntervalMs: must be > 0/],
    ['negative sessions', { maxSessionsPerRuntime: -2 }, /^maxSessionsPerRuntime: must be >= 0/],
    ['empty node id', { workerNodeId: '  ' }, /^workerNodeId: expected a non-empty string/],
    ['unknown option', { workerConcurency: 3 }, /^workerConcurency: unknown option/],
    ['backoff not an object', { unregisteredBackoff: 5 }, /^unregisteredBackoff: expected/],
    [
      'backoff max below base',
      { unregisteredBackoff: { baseDelayMs: 500, maxDelayMs: 100 } },
      /^unregisteredBackoff\.maxDelayMs: must be >= unregisteredBackoff\.baseDelayMs/,
    ],
    [
      'backoff unknown key',
      { unregisteredBackoff: { base: 1 } },
      /^unregisteredBackoff\.base: unknown option/,
    ],
    [
      'tag filter too many tags',
      { workerTagFilter: { tags: ['a', 'b', 'c', 'd', 'e', 'f'] } },
      /^workerTagFilter: at most 5 tags/,
    ],
    [
      'tag filter empty list',
      { workerTagFilter: { defaultAnd: [] } },
      /^workerTagFilter: the tag list must not be empty/,
    ],
    ['tag filter bad word', { workerTagFilter: 'all' }, /^workerTagFilter: expected/],
    [
      'replay versions empty',
      { supportedReplayVersions: [] },
      /^supportedReplayVersions: expected a non-empty array/,
    ],
    [
      'replay version not semver',
      { supportedReplayVersions: [{ min: '1', max: '2.0.0' }] },
      /^supportedReplayVersions\[0\]\.min: '1' is not a semantic version/,
    ],
    [
      'replay range inverted',
      { supportedReplayVersions: [{ min: '2.0.0', max: '1.0.0' }] },
      /^supportedReplayVersions\[0\]: min 2\.0\.0 is above max 1\.0\.0/,
    ],
    ['log level', { observability: { logLevel: 'verbose' } }, /^observability\.logLevel: expected/],
    ['trace level', { observability: { traceLevel: 3 } }, /^observability\.traceLevel: expected/],
    [
      'logger without error()',
      { observability: { logger: { debug() {}, info() {}, warn() {} } } },
      /^observability\.logger: missing method error\(\)/,
    ],
    [
      'unknown observability key',
      { observability: { logFormat: 'json' } },
      /^observability\.logFormat: unknown option/,
    ],
  ];
  it.each(cases)('%s', (_label, options, message) => {
    const err = configError(() => resolveRuntimeOptions(options as never));
    expect(err.message).toMatch(message);
    expect(err.code).toBe('CONFIGURATION');
  });

  it('rejects a session idle timeout not above the activity-lock renewal window (§5.1 step 1)', () => {
    // Default window: 30 000 − 5 000 = 25 000 ms.
    const err = configError(() => resolveRuntimeOptions({ sessionIdleTimeoutMs: 25_000 }));
    expect(err.message).toMatch(
      /^sessionIdleTimeoutMs: must be greater than workerLockTimeoutMs - workerLockRenewalBufferMs \(25000 ms\)/,
    );
    expect(resolveRuntimeOptions({ sessionIdleTimeoutMs: 25_001 }).sessionIdleTimeoutMs).toBe(25_001);
  });

  it('uses 1 s as the window when the buffer exceeds the lock timeout, as duroxide does', () => {
    const base = { workerLockTimeoutMs: 1_000, workerLockRenewalBufferMs: 5_000 };
    expect(() => resolveRuntimeOptions({ ...base, sessionIdleTimeoutMs: 1_000 })).toThrow(/\(1000 ms\)/);
    expect(resolveRuntimeOptions({ ...base, sessionIdleTimeoutMs: 1_001 }).sessionIdleTimeoutMs).toBe(1_001);
  });

  it('takes a clock with now() (default the wall clock) and names a bad one', () => {
    const clock = { now: () => 42 };
    expect(resolveRuntimeOptions({ clock }).clock).toBe(clock);
    expect(resolveRuntimeOptions({}).clock.now()).toBeGreaterThan(Date.UTC(2020, 0, 1));
    expect(configError(() => resolveRuntimeOptions({ clock: {} as never })).message).toMatch(
      /^clock: expected an object with now\(\): number/,
    );
  });

  it('rejects a non-object options argument', () => {
    expect(configError(() => resolveRuntimeOptions('fast' as never)).message).toMatch(
      /^options: expected an object/,
    );
  });
});
