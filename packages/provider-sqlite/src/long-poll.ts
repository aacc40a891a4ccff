import { performance } from 'node:perf_hooks';
import { type Clock, isManualClock } from '@duroxide/core';
import type { ExternalChanges } from './external-changes.js';
import {
  type CommitNotifier,
  type Signal,
  type Subscribe,
  type WakeToken,
  type WorkChannel,
  type WorkWaiter,
  waitForAny,
} from './notifier.js';

/** What a long poll needs from the provider. */
export interface LongPollHost {
  /** The injected clock (a `ManualClock` wakes waiters when it moves). */
  clock: Clock;
  /** Fired once when the provider closes. */
  closing: Signal;
  /** Whether the provider is closed. */
  isClosed(): boolean;
  /** Commits by other connections (file databases), or null for in-memory databases nobody else reaches. */
  external: ExternalChanges | null;
}

/** Waits for work without polling: commit signals, clock moves, the next known visibility time. */
export class LongPoller {
  constructor(
    private readonly host: LongPollHost,
    private readonly notifier: CommitNotifier,
  ) {}

  /**
   * Runs `attempt` now and again whenever work may have appeared, until it returns a value or
   * `pollTimeoutMs` of real time has passed (then null). `nextWake(since)` returns the earliest clock time
   * after `since` at which invisible or locked work becomes available; `since` is the clock just before
   * the last attempt, so work that became visible between that attempt and the wake computation is
   * still counted (with "after now" it was missed, and the fetch slept through a due timer). A wake handed
   * to this fetch alone (see `WorkChannel`) is passed on when the attempt finds nothing or never runs.
   */
  async poll<T>(
    channel: WorkChannel,
    waiter: WorkWaiter,
    pollTimeoutMs: number,
    attempt: () => T | null | Promise<T | null>,
    nextWake: (since: number) => number | null,
    signal?: AbortSignal,
  ): Promise<T | null> {
    if (signal?.aborted) return null;
    const { clock, external } = this.host;
    // Take the baseline before the attempt, so another connection's commit in between is never missed.
    let baseline = pollTimeoutMs > 0 && external ? external.current() : 0;
    let attemptedAt = clock.now();
    let missed = channel.missedWakes;
    const first = await attempt();
    if (first !== null || pollTimeoutMs <= 0) return first;
    const deadline = performance.now() + pollTimeoutMs;
    const manual = isManualClock(clock);
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0 || this.host.isClosed() || signal?.aborted) return null;
      if (channel.missedWakes !== missed) {
        // Work was signalled while the empty attempt was in flight, before this fetch could listen.
        attemptedAt = clock.now();
        missed = channel.missedWakes;
        const retried = await attempt();
        if (retried !== null) return retried;
        continue;
      }
      // A manual clock only moves through advance(), which signals; computed wake-ups are for real clocks.
      const wake = manual ? null : nextWake(attemptedAt);
      const wakeDelay = wake === null ? Number.POSITIVE_INFINITY : Math.max(0, wake - clock.now()) + 1;
      const delay = Math.min(remaining, wakeDelay);
      const woke: { token: WakeToken | null } = { token: null };
      await waitForAny(this.subscriptions(channel, waiter, woke, baseline, signal), delay);
      if (this.host.isClosed() || signal?.aborted) {
        if (woke.token) channel.giveBack(woke.token);
        return null;
      }
      if (external) baseline = external.current();
      attemptedAt = clock.now();
      missed = channel.missedWakes;
      let result: T | null;
      try {
        result = await attempt();
      } catch (err) {
        if (woke.token) channel.giveBack(woke.token);
        throw err;
      }
      if (result !== null) return result;
      if (woke.token) channel.passOn(woke.token, waiter.key);
    }
  }

  /** Resolves when a commit touches the instance (or, for files, any other connection commits), or on timeout. */
  async waitForInstanceChange(instance: string, timeoutMs: number): Promise<void> {
    if (this.host.isClosed() || !(timeoutMs > 0)) return;
    const { external } = this.host;
    const subs: Subscribe[] = [(l) => this.notifier.onInstance(instance, l), (l) => this.host.closing.on(l)];
    if (external) {
      const baseline = external.current();
      subs.push((l) => external.on(baseline, l));
    }
    await waitForAny(subs, timeoutMs);
  }

  private subscriptions(
    channel: WorkChannel,
    waiter: WorkWaiter,
    woke: { token: WakeToken | null },
    baseline: number,
    signal?: AbortSignal,
  ): Subscribe[] {
    const subs: Subscribe[] = [
      (l) =>
        channel.wait(waiter, (token) => {
          woke.token = token;
          l();
        }),
      (l) => this.host.closing.on(l),
    ];
    if (signal) subs.push((l) => onAbort(signal, l));
    const { clock, external } = this.host;
    if (external) subs.push((l) => external.on(baseline, l));
    if (isManualClock(clock)) subs.push((l) => clock.onAdvance(l));
    return subs;
  }
}

/** Subscribes to an abort signal in the `Subscribe` shape (returns the unsubscribe function). */
function onAbort(signal: AbortSignal, listener: () => void): () => void {
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}
