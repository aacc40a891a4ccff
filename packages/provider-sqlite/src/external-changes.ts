import { type Listener, Signal } from './notifier.js';

/** How often waiting fetches and waits look for commits made by other connections (file databases only). */
export const CROSS_PROCESS_CHECK_MS = 50;

/**
 * Watches `PRAGMA data_version` (it changes when another connection commits) for every waiter of one
 * provider together: one read per `CROSS_PROCESS_CHECK_MS` while anyone waits, instead of one read per
 * wait and per check. Each read starts an implicit read transaction (WAL locks), and a client waiting on
 * many instances made those reads about 6% of the CPU of W2.
 */
export class ExternalChanges {
  private readonly changed = new Signal();
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  /** Checks in a row with nobody waiting; the watcher stops after `LINGER_CHECKS` of them. */
  private idleChecks = 0;

  constructor(
    /** Reads `PRAGMA data_version` (0 once the provider is closed). */
    private readonly read: () => number,
  ) {}

  /** The version to compare against later: the watcher's last reading while it runs, else a fresh one. */
  current(): number {
    return this.timer === null ? this.read() : this.last;
  }

  /**
   * Calls `listener` at the first change after `baseline` (at once, asynchronously, when the version has
   * already moved past it); returns the unsubscribe function.
   */
  on(baseline: number, listener: Listener): () => void {
    if (this.timer === null) {
      this.last = this.read();
      this.idleChecks = 0;
      this.timer = setInterval(() => this.check(), CROSS_PROCESS_CHECK_MS);
      // Waiters have their own timeouts; the watcher alone must not keep the process alive.
      this.timer.unref();
    }
    if (this.last !== baseline) {
      // Asynchronously: subscribers are still being registered by the caller (see `waitForAny`).
      let live = true;
      queueMicrotask(() => {
        if (live) listener();
      });
      return () => {
        live = false;
      };
    }
    // Unsubscribing leaves the timer running: `check` stops it after LINGER_CHECKS idle checks, since a
    // busy runtime subscribes again at once and a running watcher answers `current()` without a query.
    return this.changed.on(listener);
  }

  /** Stops watching (the provider closed). */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private check(): void {
    this.idleChecks = this.changed.size > 0 ? 0 : this.idleChecks + 1;
    // Counted from the last check with a waiter, so a re-subscription restarts the count.
    if (this.idleChecks > LINGER_CHECKS) {
      this.stop();
      return;
    }
    const version = this.read();
    if (version === this.last) return;
    this.last = version;
    this.changed.emit();
  }
}

/** Checks without any waiter before the watcher stops (about a second). */
const LINGER_CHECKS = 20;
