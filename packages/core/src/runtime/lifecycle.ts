import { setMaxListeners } from 'node:events';
import type { FilteredLogger } from '../observability/logger.js';
import type { RuntimeMetrics } from '../observability/metrics.js';
import { errorMessage, fetchErrorBackoffMs, sleep } from './timing.js';

/**
 * Start/stop state shared by every dispatcher slot: the stop flag, interruptible sleeps, and the set of
 * in-flight turns and activities that `shutdown` waits for.
 */
export class Lifecycle {
  private readonly stopController = Lifecycle.unboundedController();
  private readonly forceController = Lifecycle.unboundedController();
  private readonly inflight = new Set<Promise<void>>();
  private readonly slots = new Set<Promise<void>>();

  /**
   * Every waiting fetch of every slot listens on the stop signal, and every running activity on the force
   * signal, so listener counts grow with the configured concurrency (no MaxListeners warning at 11).
   */
  private static unboundedController(): AbortController {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    return controller;
  }

  /** True once shutdown began: no new work is started. */
  get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  /** Aborted when shutdown begins (wakes sleeping loops). */
  get stopSignal(): AbortSignal {
    return this.stopController.signal;
  }

  /** Aborted when the shutdown deadline passes with work still running. */
  get forceSignal(): AbortSignal {
    return this.forceController.signal;
  }

  /** Number of turns and activities in flight. */
  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Sleeps, waking early when shutdown begins. */
  sleep(ms: number): Promise<void> {
    return sleep(ms, this.stopSignal);
  }

  /** Registers a unit of work that shutdown waits for; the promise must never reject. */
  track(work: Promise<void>): Promise<void> {
    this.inflight.add(work);
    void work
      .finally(() => this.inflight.delete(work))
      .catch(() => {
        // `work` never rejects by contract; this only silences the derived promise.
      });
    return work;
  }

  /** Registers a dispatcher slot loop; shutdown waits for it so no fetch outlives the runtime. */
  trackSlot(slot: Promise<void>): Promise<void> {
    this.slots.add(slot);
    void slot
      .finally(() => this.slots.delete(slot))
      .catch(() => {
        // The caller handles the slot's own rejection; this only silences the derived promise.
      });
    return slot;
  }

  /**
   * Stops new work and waits for in-flight work and the slot loops (their fetches end on the stop signal),
   * up to `timeoutMs`; returns whether everything finished.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.stopController.abort();
    const deadline = Date.now() + timeoutMs;
    while (this.inflight.size > 0 || this.slots.size > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, remaining);
      });
      await Promise.race([Promise.allSettled([...this.inflight, ...this.slots]), timedOut]);
      clearTimeout(timer);
    }
    const done = this.inflight.size === 0 && this.slots.size === 0;
    if (!done) this.forceController.abort();
    return done;
  }
}

/** What one dispatcher slot does with the provider. */
export interface SlotSpec<T> {
  /** `orchestration` or `worker`, for logs. */
  kind: 'orchestration' | 'worker';
  /** The slot's worker id. */
  workerId: string;
  /** Fetches one item (may long-poll until `signal` aborts at shutdown); null when there is no work. */
  fetch(signal: AbortSignal): Promise<T | null>;
  /** Processes an item; never rejects. */
  process(item: T): Promise<void>;
  /** Releases an item fetched after shutdown began, without counting the attempt. */
  release(item: T): Promise<void>;
}

/** Services a slot loop needs from its runtime. */
export interface SlotHost {
  lifecycle: Lifecycle;
  metrics: RuntimeMetrics;
  logger: FilteredLogger;
  /** Minimum cycle time of an empty fetch. */
  minPollIntervalMs: number;
}

/**
 * One dispatcher slot: fetch, process, repeat until shutdown. Work found is processed at once (no sleep
 * between items); an empty fetch keeps the cycle at least `minPollIntervalMs` long (with long polling the
 * fetch itself waited, so no sleep follows); failed fetches back off (§5.3 step 1).
 */
export async function runSlot<T>(host: SlotHost, spec: SlotSpec<T>): Promise<void> {
  const target = `duroxide::runtime::dispatchers::${spec.kind}`;
  let consecutiveErrors = 0;
  while (!host.lifecycle.stopping) {
    const cycleStart = Date.now();
    let item: T | null;
    try {
      item = await spec.fetch(host.lifecycle.stopSignal);
      consecutiveErrors = 0;
    } catch (err) {
      if (host.lifecycle.stopping) break;
      host.metrics.providerError(spec.kind === 'worker' ? 'fetchWorkItem' : 'fetchOrchestrationItem', err);
      const delay = fetchErrorBackoffMs(err, consecutiveErrors);
      consecutiveErrors += 1;
      host.logger.log('warn', target, 'fetch failed; backing off', {
        workerId: spec.workerId,
        error: errorMessage(err),
        delayMs: delay,
      });
      await host.lifecycle.sleep(delay);
      continue;
    }
    if (item === null) {
      const wait = host.minPollIntervalMs - (Date.now() - cycleStart);
      if (wait > 0) await host.lifecycle.sleep(wait);
      continue;
    }
    if (host.lifecycle.stopping) {
      await releaseQuietly(host, spec, item, target);
      break;
    }
    await host.lifecycle.track(spec.process(item));
  }
}

/** Hands back an item fetched after shutdown began (a long poll that returned late) so no work is stranded. */
async function releaseQuietly<T>(host: SlotHost, spec: SlotSpec<T>, item: T, target: string): Promise<void> {
  try {
    await spec.release(item);
  } catch (err) {
    host.logger.log('debug', target, 'could not release an item fetched during shutdown', {
      workerId: spec.workerId,
      error: errorMessage(err),
    });
  }
}
