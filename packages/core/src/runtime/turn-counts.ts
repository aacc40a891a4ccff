import type { Event } from '../history/events.js';

/**
 * Turns per execution, for `duroxide_orchestration_turns` (fix of duroxide's quirk, where the count was
 * always 1). Counted in memory per runtime; an execution first seen mid-life (another node or a restart
 * ran its earlier turns) is seeded with an estimate from its history: one turn per distinct event
 * timestamp, since every event a turn writes carries that turn's clock.
 */
export class TurnCounts {
  private readonly counts = new Map<string, number>();

  constructor(private readonly capacity = 10_000) {}

  /**
   * Records one committed turn and returns the execution's turn count so far. `persisted` is the
   * history before this turn (used only to seed an unknown execution).
   */
  record(instance: string, executionId: number, persisted: readonly Event[]): number {
    const key = `${executionId}\u0000${instance}`;
    const known = this.counts.get(key);
    const count = (known ?? estimateTurns(persisted)) + 1;
    if (known === undefined && this.counts.size >= this.capacity) {
      const oldest = this.counts.keys().next().value;
      if (oldest !== undefined) this.counts.delete(oldest);
    }
    this.counts.set(key, count);
    return count;
  }

  /** Takes back a turn recorded before an ack that then failed (the turn will run again). */
  unrecord(instance: string, executionId: number): void {
    const key = `${executionId}\u0000${instance}`;
    const known = this.counts.get(key);
    if (known === undefined) return;
    if (known <= 1) this.counts.delete(key);
    else this.counts.set(key, known - 1);
  }

  /** Forgets an execution that ended. */
  forget(instance: string, executionId: number): void {
    this.counts.delete(`${executionId}\u0000${instance}`);
  }

  /** Executions currently tracked. */
  get size(): number {
    return this.counts.size;
  }
}

function estimateTurns(persisted: readonly Event[]): number {
  const stamps = new Set<number>();
  for (const e of persisted) stamps.add(e.timestampMs);
  return stamps.size;
}

/** duroxide's `final_turn_count` label buckets. */
export function turnCountBucket(turns: number): string {
  if (turns <= 5) return '1-5';
  if (turns <= 10) return '6-10';
  if (turns <= 50) return '11-50';
  return '50+';
}
