import { ActivityFailedError, ConfigurationError } from '../errors.js';
import type { RetryPolicy } from './context-api.js';
import { DurableTaskImpl } from './durable-task.js';
import type { TurnScope } from './turn-scope.js';

/** A retry policy with every default applied (API.md: 3 attempts, exponential from 100 ms ×2, cap 30 s). */
export interface NormalizedRetryPolicy {
  maxAttempts: number;
  backoff: 'none' | 'fixed' | 'linear' | 'exponential';
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  timeoutMs: number | null;
  totalTimeoutMs: number | null;
}

const BACKOFFS = ['none', 'fixed', 'linear', 'exponential'] as const;

function nonNegative(value: unknown, field: string, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(`RetryPolicy.${field} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

/** Validates a policy and applies defaults; throws `ConfigurationError` naming the bad field. */
export function normalizeRetryPolicy(policy: RetryPolicy | undefined): NormalizedRetryPolicy {
  const p = policy ?? {};
  const maxAttempts = p.maxAttempts ?? 3;
  if (typeof maxAttempts !== 'number' || !Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new ConfigurationError(
      `RetryPolicy.maxAttempts must be an integer >= 1, got ${String(p.maxAttempts)}`,
    );
  }
  const backoff = p.backoff ?? 'exponential';
  if (!BACKOFFS.includes(backoff)) {
    throw new ConfigurationError(
      `RetryPolicy.backoff must be one of ${BACKOFFS.join(', ')}, got ${String(backoff)}`,
    );
  }
  const timeoutMs = nonNegative(p.timeoutMs, 'timeoutMs', null);
  const totalTimeoutMs = nonNegative(p.totalTimeoutMs, 'totalTimeoutMs', null);
  return {
    maxAttempts,
    backoff,
    initialDelayMs: nonNegative(p.initialDelayMs, 'initialDelayMs', 100)!,
    maxDelayMs: nonNegative(p.maxDelayMs, 'maxDelayMs', 30_000)!,
    multiplier: nonNegative(p.multiplier, 'multiplier', 2)!,
    timeoutMs: timeoutMs === null || timeoutMs > 0 ? timeoutMs : null,
    totalTimeoutMs: totalTimeoutMs === null || totalTimeoutMs > 0 ? totalTimeoutMs : null,
  };
}

/** Delay after failed attempt `attempt` (1-based), capped at `maxDelayMs`, never NaN or infinite. */
export function backoffDelayMs(policy: NormalizedRetryPolicy, attempt: number): number {
  const { initialDelayMs: base, maxDelayMs: max } = policy;
  let delay: number;
  switch (policy.backoff) {
    case 'none':
      return 0;
    case 'fixed':
      delay = base;
      break;
    case 'linear':
      delay = base * attempt;
      break;
    case 'exponential':
      delay = base * policy.multiplier ** (attempt - 1);
      break;
  }
  return Number.isFinite(delay) ? Math.min(delay, max) : max;
}

/** The durable operations a retry loop needs from its context. */
export interface RetryHost {
  scope: TurnScope;
  schedule(): DurableTaskImpl;
  timer(delayMs: number): DurableTaskImpl;
  warn(message: string): void;
}

interface First {
  index: number;
  task: DurableTaskImpl;
}

/** Resolves with whichever task settles first in history order, without cancelling the others. */
function firstOf(scope: TurnScope, tasks: DurableTaskImpl[]): Promise<First> {
  return new Promise((resolve) => {
    let best: First | null = null;
    tasks.forEach((task, index) => {
      if (task.state !== 0 && (best === null || task.settleSeq < best.task.settleSeq)) best = { index, task };
    });
    if (best !== null) {
      resolve(best);
      return;
    }
    let done = false;
    tasks.forEach((task, index) => {
      task.addParent(() => {
        if (done) return;
        done = true;
        scope.markDirty();
        resolve({ index, task });
      });
    });
  });
}

/**
 * duroxide's retry helper as ordinary durable operations (so it replays): one activity per attempt,
 * raced against the per-attempt timer and the total budget timer; backoff waits are durable timers.
 */
export function runWithRetry(
  host: RetryHost,
  policy: NormalizedRetryPolicy,
  activityName: string,
): DurableTaskImpl {
  const { scope } = host;
  const wrapper = new DurableTaskImpl(scope, 'composite');
  let current: DurableTaskImpl[] = [];
  const total = policy.totalTimeoutMs !== null ? host.timer(policy.totalTimeoutMs) : null;
  wrapper.onCancel = () => {
    for (const t of current) t.cancel();
    total?.cancel();
  };
  const budgetError = () =>
    new ActivityFailedError(
      `timeout: retry budget of ${policy.totalTimeoutMs}ms exhausted for activity '${activityName}'`,
    );
  const loop = async (): Promise<unknown> => {
    let last: unknown = null;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      const activity = host.schedule();
      const perAttempt = policy.timeoutMs !== null ? host.timer(policy.timeoutMs) : null;
      current = [activity, ...(perAttempt ? [perAttempt] : []), ...(total ? [total] : [])];
      const first = await firstOf(scope, current);
      if (first.task !== activity) {
        activity.cancel();
        perAttempt?.cancel();
        if (first.task === total) throw budgetError();
        throw new ActivityFailedError('timeout: activity timed out');
      }
      perAttempt?.cancel();
      if (activity.state === 1) return activity.value;
      last = activity.value;
      if (attempt === policy.maxAttempts) break;
      const reason = last instanceof Error ? last.message : String(last);
      host.warn(
        `Activity '${activityName}' attempt ${attempt}/${policy.maxAttempts} failed: ${reason}. Retrying...`,
      );
      const delay = backoffDelayMs(policy, attempt);
      if (delay > 0) {
        const wait = host.timer(delay);
        current = [wait, ...(total ? [total] : [])];
        const waited = await firstOf(scope, current);
        if (waited.task === total) throw budgetError();
      }
    }
    throw last;
  };
  loop().then(
    (value) => {
      total?.cancel();
      wrapper.settle(true, value);
    },
    (error) => {
      total?.cancel();
      wrapper.settle(false, error);
    },
  );
  return wrapper;
}
