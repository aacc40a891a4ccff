/** The source of "now" for every time a provider or runtime compares (lock expiry, visibility, timers). */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand, so lock expiry and timer visibility need no sleeping. */
export class ManualClock implements Clock {
  private current: number;
  private readonly listeners = new Set<() => void>();

  constructor(startMs: number = Date.now()) {
    this.current = startMs;
  }

  /** The clock's current time. */
  now(): number {
    return this.current;
  }

  /** Moves the clock forward by `ms` and tells listeners (long-polling fetches re-check). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ms must be >= 0, got ${ms}`);
    this.current += ms;
    for (const listener of [...this.listeners]) listener();
  }

  /** Sets the clock to an absolute time (never backwards). */
  set(ms: number): void {
    this.advance(Math.max(0, ms - this.current));
  }

  /** Registers a callback run after every move; returns the unsubscribe function. */
  onAdvance(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Whether a clock can notify when it moves (a `ManualClock`). */
export function isManualClock(clock: Clock): clock is ManualClock {
  return typeof (clock as Partial<ManualClock>).onAdvance === 'function';
}
