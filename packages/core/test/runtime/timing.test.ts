import { ProviderError } from '@duroxide/core';
import { describe, expect, it } from 'vitest';
import {
  ackRetryDelayMs,
  fetchErrorBackoffMs,
  lockRenewalIntervalMs,
  unregisteredBackoffMs,
} from '../../src/runtime/timing.js';

describe('unregistered handler backoff (§5.7)', () => {
  it('doubles from the base and caps at the max: 1, 2, 4, 8, 16, 32, 60, 60 s', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((attempt) =>
      unregisteredBackoffMs(attempt, 1_000, 60_000),
    );
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it('stops doubling after 2^6 even under a large cap', () => {
    expect(unregisteredBackoffMs(10, 1_000, 1_000_000)).toBe(64_000);
  });

  it('treats attempt 0 like the first attempt', () => {
    expect(unregisteredBackoffMs(0, 50, 1_000)).toBe(50);
  });
});

describe('lock renewal interval (§5.5)', () => {
  it("matches duroxide's examples", () => {
    expect(lockRenewalIntervalMs(30_000, 5_000)).toBe(25_000); // worker defaults
    expect(lockRenewalIntervalMs(5_000, 2_000)).toBe(3_000); // orchestrator: ceil(2.5 s)
    expect(lockRenewalIntervalMs(10_000, 2_000)).toBe(5_000);
  });

  it('uses timeout − buffer from 15 s and never goes below 1 s', () => {
    expect(lockRenewalIntervalMs(15_000, 5_000)).toBe(10_000);
    expect(lockRenewalIntervalMs(20_000, 30_000)).toBe(1_000);
    expect(lockRenewalIntervalMs(2_000, 0)).toBe(1_000);
    expect(lockRenewalIntervalMs(3_000, 0)).toBe(2_000);
  });

  it('fix: below 2 s it renews at half the timeout instead of after the lock expired', () => {
    expect(lockRenewalIntervalMs(1_000, 500)).toBe(500);
    expect(lockRenewalIntervalMs(300, 0)).toBe(150);
  });
});

describe('dispatcher error backoff (§5.3 step 1)', () => {
  it('backs off retryable provider errors 100·2^n ms, capped at 3 s', () => {
    const err = ProviderError.retryable('fetchOrchestrationItem', 'database is locked');
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((n) => fetchErrorBackoffMs(err, n))).toEqual([
      100, 200, 400, 800, 1_600, 3_000, 3_000, 3_000,
    ]);
  });

  it('waits a flat 100 ms after permanent and unknown errors', () => {
    expect(fetchErrorBackoffMs(ProviderError.permanent('fetchWorkItem', 'bad row'), 7)).toBe(100);
    expect(fetchErrorBackoffMs(new Error('boom'), 3)).toBe(100);
  });

  it('retries acks after 10·2^k ms', () => {
    expect([0, 1, 2, 3, 4].map(ackRetryDelayMs)).toEqual([10, 20, 40, 80, 160]);
  });
});
