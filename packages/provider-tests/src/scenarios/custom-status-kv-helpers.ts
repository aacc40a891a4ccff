import type { OrchestrationContext } from '@duroxide/core';
import type { Scenario } from './harness.js';

/** Runtime overrides that make every turn replay its whole history (no instance cache). */
export const REPLAY_EVERY_TURN = { instanceCacheSize: 0 };

/** A text of exactly `repeat` copies of `unit` plus `tail` (its UTF-8 size is what the limits measure). */
export interface SizedText {
  /** The repeated character: `x` is one UTF-8 byte, `é` two. */
  unit: string;
  /** How many copies of `unit`. */
  repeat: number;
  /** Appended after the copies (one more byte to cross a limit). */
  tail: string;
}

/** The text a SizedText describes. */
export function sized(t: SizedText): string {
  return t.unit.repeat(t.repeat) + t.tail;
}

/** Sets keys `${prefix}0` … `${prefix}${count - 1}`. */
export function setKeys(ctx: OrchestrationContext, prefix: string, count: number, from = 0): void {
  for (let i = from; i < from + count; i++) ctx.setValue(`${prefix}${i}`, 'v');
}

/** Raises `name` once the instance waits for its `count`-th subscription of that name. */
export async function step(s: Scenario, id: string, name: string, count: number, executionId?: number) {
  await s.waitForSubscription(id, name, count, executionId);
  await s.client.raiseEvent(id, name);
}
