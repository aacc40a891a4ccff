/** A running renewal loop. */
export interface LockRenewal {
  /** Stops renewing; safe to call more than once. */
  stop(): void;
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
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    timer = setTimeout(tick, intervalMs);
  };
  const tick = () => {
    if (stopped) return;
    renew().then(
      () => {
        if (!stopped) schedule();
      },
      (err: unknown) => {
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
  };
}
