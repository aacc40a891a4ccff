/** A running renewal loop. */
export interface LockRenewal {
  /** Stops renewing; safe to call more than once. */
  stop(): void;
  /** Renews right away instead of at the next tick (a no-op while a renewal is in flight or after stop). */
  renewNow(): void;
}

/**
 * Calls `renew` every `intervalMs` (the first tick is skipped; calls never overlap) until stopped or
 * until a renewal fails, which stops the loop and calls `onFailure` once.
 */
export function startLockRenewal(
  intervalMs: number,
  renew: () => Promise<unknown>,
  onFailure: (err: unknown) => void,
): LockRenewal {
  let stopped = false;
  let inFlight = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    timer = setTimeout(tick, intervalMs);
  };
  const tick = () => {
    if (stopped || inFlight) return;
    inFlight = true;
    renew().then(
      () => {
        inFlight = false;
        if (!stopped) schedule();
      },
      (err: unknown) => {
        inFlight = false;
        if (stopped) return;
        stopped = true;
        onFailure(err);
      },
    );
  };
  schedule();
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
    renewNow() {
      if (stopped || inFlight) return;
      if (timer !== undefined) clearTimeout(timer);
      tick();
    },
  };
}
