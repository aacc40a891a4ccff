import type { FilteredLogger } from '../observability/logger.js';
import type { RuntimeMetrics } from '../observability/metrics.js';
import type { Provider } from '../provider/provider-contract.js';
import { errorMessage, lockRenewalIntervalMs } from './timing.js';

/**
 * Ref-counted session capacity: at most `max` distinct sessions have activities in flight in this
 * runtime at once (several activities of one session share one slot).
 */
export class SessionSlots {
  private readonly refs = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Whether a fetch may claim new sessions (fewer distinct sessions in flight than the limit). */
  hasCapacity(): boolean {
    return this.refs.size < this.max;
  }

  /** Takes a slot for `sessionId`; false when that would exceed the limit (a race between slots). */
  acquire(sessionId: string): boolean {
    const count = this.refs.get(sessionId);
    if (count !== undefined) {
      this.refs.set(sessionId, count + 1);
      return true;
    }
    if (this.refs.size >= this.max) return false;
    this.refs.set(sessionId, 1);
    return true;
  }

  /** Releases one reference to `sessionId`. */
  release(sessionId: string): void {
    const count = this.refs.get(sessionId);
    if (count === undefined) return;
    if (count <= 1) this.refs.delete(sessionId);
    else this.refs.set(sessionId, count - 1);
  }

  /** Distinct sessions in flight. */
  get size(): number {
    return this.refs.size;
  }
}

/** Settings of the session manager. */
export interface SessionManagerConfig {
  ownerIds: string[];
  lockTimeoutMs: number;
  renewalBufferMs: number;
  idleTimeoutMs: number;
  cleanupIntervalMs: number;
}

const TARGET = 'duroxide::runtime::sessions';

/**
 * The session manager (§5.9): heartbeats the sessions this runtime owns every renewal interval and sweeps
 * orphaned sessions every cleanup interval. Returns a stop function.
 */
export function startSessionManager(
  provider: Provider,
  config: SessionManagerConfig,
  logger: FilteredLogger,
  metrics: RuntimeMetrics,
): () => void {
  const heartbeat = setInterval(
    () => {
      provider
        .renewSessionLock(config.ownerIds, config.lockTimeoutMs, config.idleTimeoutMs)
        .catch((err: unknown) => {
          metrics.providerError('renewSessionLock', err);
          logger.log('warn', TARGET, 'session heartbeat failed', { error: errorMessage(err) });
        });
    },
    lockRenewalIntervalMs(config.lockTimeoutMs, config.renewalBufferMs),
  );
  const cleanup = setInterval(() => {
    provider.cleanupOrphanedSessions(config.idleTimeoutMs).catch((err: unknown) => {
      metrics.providerError('cleanupOrphanedSessions', err);
      logger.log('warn', TARGET, 'orphaned-session cleanup failed', { error: errorMessage(err) });
    });
  }, config.cleanupIntervalMs);
  // Background housekeeping must not keep the process alive on its own.
  heartbeat.unref();
  cleanup.unref();
  return () => {
    clearInterval(heartbeat);
    clearInterval(cleanup);
  };
}
