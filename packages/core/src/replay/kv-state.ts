import type { KvEntry } from '../provider/provider-contract.js';

/**
 * The instance KV store as orchestration code sees it: the snapshot of prior executions, then every
 * set/clear of the current execution re-applied by the replayed code (duroxide's "kv_delta" rule).
 */
export class KvState {
  private readonly entries = new Map<string, KvEntry>();

  constructor(snapshot: Record<string, KvEntry>) {
    for (const key of Object.keys(snapshot)) {
      const entry = snapshot[key]!;
      this.entries.set(key, { value: entry.value, lastUpdatedAtMs: entry.lastUpdatedAtMs });
    }
  }

  /** Current value, or null. */
  get(key: string): string | null {
    return this.entries.get(key)?.value ?? null;
  }

  /** Sets a value with its write time. */
  set(key: string, value: string, atMs: number): void {
    this.entries.set(key, { value, lastUpdatedAtMs: atMs });
  }

  /** Removes one key. */
  clear(key: string): void {
    this.entries.delete(key);
  }

  /** Removes every key. */
  clearAll(): void {
    this.entries.clear();
  }

  /** Number of keys. */
  get size(): number {
    return this.entries.size;
  }

  /** Keys in insertion order. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** All values as a plain record. */
  values(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, entry] of this.entries) out[key] = entry.value;
    return out;
  }

  /** Keys last written before the cutoff. */
  keysUpdatedBefore(cutoffMs: number): string[] {
    const out: string[] = [];
    for (const [key, entry] of this.entries) if (entry.lastUpdatedAtMs < cutoffMs) out.push(key);
    return out;
  }

  /** On replay, the recorded write time replaces the re-executed call's clock (prune stays deterministic). */
  adoptTimestamp(key: string, value: string, atMs: number): void {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.value === value) entry.lastUpdatedAtMs = atMs;
  }
}
