import type { PreparedTurn, SuspendedTurn, TurnExecution, TurnOutcome } from '../replay/turn-types.js';
import type { RuntimeServices } from './services.js';

/**
 * Total history events the cached orchestrations of one runtime may hold (a memory bound on top of the
 * entry count): events dominate an entry's weight, and 250,000 events are roughly 100 MB.
 */
export const INSTANCE_CACHE_MAX_EVENTS = 250_000;

/** Hit and miss counts of an instance cache (tests and diagnostics). */
export interface InstanceCacheStats {
  /** Turns that continued a cached orchestration. */
  hits: number;
  /** Turns that found an entry but had to replay from the start (history changed, version, ...). */
  fallbacks: number;
  /** Entries dropped to stay within the entry or event bound. */
  evictions: number;
}

/**
 * The instance cache: orchestrations this process suspended after a committed turn, by instance, least
 * recently used first. An entry is taken out when its instance's next batch is fetched and put back only
 * after that turn's ack committed, so a lost lock, a failed ack, an abandon, a poison or a terminal turn
 * simply leave it out; `resumeTurn` itself refuses any history this process did not commit.
 */
export class InstanceCache {
  private readonly entries = new Map<string, SuspendedTurn>();
  private events = 0;
  /** Hit and miss counts. */
  readonly stats: InstanceCacheStats = { hits: 0, fallbacks: 0, evictions: 0 };

  constructor(
    /** Most entries kept; 0 disables the cache. */
    readonly capacity: number,
    /** Most history events kept over all entries. */
    readonly maxEvents: number = INSTANCE_CACHE_MAX_EVENTS,
  ) {}

  /** Whether turns should keep their orchestrations at all. */
  get enabled(): boolean {
    return this.capacity > 0;
  }

  /** Number of cached instances. */
  get size(): number {
    return this.entries.size;
  }

  /** Removes and returns the instance's entry (the turn about to run owns it now). */
  take(instance: string): SuspendedTurn | undefined {
    const entry = this.entries.get(instance);
    if (entry === undefined) return undefined;
    this.entries.delete(instance);
    this.events -= entry.historyLength;
    return entry;
  }

  /** Caches a suspended orchestration as the most recently used, evicting the oldest beyond the bounds. */
  put(entry: SuspendedTurn): void {
    if (!this.enabled || entry.historyLength > this.maxEvents) return;
    this.take(entry.instance);
    this.entries.set(entry.instance, entry);
    this.events += entry.historyLength;
    while (this.entries.size > this.capacity || this.events > this.maxEvents) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.take(oldest.value);
      this.stats.evictions += 1;
    }
  }

  /** Drops every entry. */
  clear(): void {
    this.entries.clear();
    this.events = 0;
  }
}

const caches = new WeakMap<RuntimeServices, InstanceCache>();

/** The instance cache of a runtime (created on first use from `instanceCacheSize`). */
export function instanceCacheOf(services: RuntimeServices): InstanceCache {
  let cache = caches.get(services);
  if (cache === undefined) {
    cache = new InstanceCache(services.options.instanceCacheSize);
    caches.set(services, cache);
  }
  return cache;
}

/**
 * Runs a turn: continues the cached orchestration when there is one and it is still valid, else replays
 * from the start; with the cache on, asks the engine to keep the orchestration suspended afterwards.
 */
export async function runTurn(
  services: RuntimeServices,
  cached: SuspendedTurn | undefined,
  prepared: Extract<PreparedTurn, { type: 'run' }>,
  execution: TurnExecution,
): Promise<TurnOutcome> {
  const cache = instanceCacheOf(services);
  const { engine } = services;
  const resumable = cache.enabled && engine.resumeTurn !== undefined;
  const exec: TurnExecution = resumable ? { ...execution, suspend: true } : execution;
  if (cached !== undefined && resumable) {
    const resumed = await engine.resumeTurn!(cached, prepared, exec);
    if (resumed !== null) {
      cache.stats.hits += 1;
      return resumed;
    }
    cache.stats.fallbacks += 1;
  }
  return engine.executeTurn(prepared, exec);
}
