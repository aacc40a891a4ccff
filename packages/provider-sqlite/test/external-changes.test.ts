import { afterEach, describe, expect, it, vi } from 'vitest';
import { CROSS_PROCESS_CHECK_MS, ExternalChanges } from '../src/external-changes.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ExternalChanges', () => {
  it('one read per check interval serves every waiter, and reading stops when nobody waits', async () => {
    vi.useFakeTimers();
    let version = 1;
    let reads = 0;
    const watcher = new ExternalChanges(() => {
      reads++;
      return version;
    });
    const woken: string[] = [];
    const baseline = watcher.current();
    const offs = ['a', 'b', 'c'].map((name) => watcher.on(baseline, () => woken.push(name)));
    const readsAtStart = reads;
    vi.advanceTimersByTime(CROSS_PROCESS_CHECK_MS * 4);
    expect(reads - readsAtStart, 'one read per interval, not one per waiter').toBe(4);
    expect(woken).toEqual([]);
    version = 2; // another connection commits
    vi.advanceTimersByTime(CROSS_PROCESS_CHECK_MS);
    expect(woken).toEqual(['a', 'b', 'c']);
    for (const off of offs) off();
    // It lingers about a second (a busy runtime subscribes again at once), answering current() from memory.
    const readsAtIdle = reads;
    expect(watcher.current()).toBe(2);
    expect(reads).toBe(readsAtIdle);
    vi.advanceTimersByTime(CROSS_PROCESS_CHECK_MS * 30);
    const readsWhenStopped = reads;
    vi.advanceTimersByTime(CROSS_PROCESS_CHECK_MS * 30);
    expect(reads, 'no reads once stopped').toBe(readsWhenStopped);
    expect(readsWhenStopped - readsAtIdle).toBeLessThanOrEqual(21);
  });

  it('a change since the baseline (made before the waiter listened) wakes it at once', async () => {
    let version = 7;
    const watcher = new ExternalChanges(() => version);
    const baseline = watcher.current();
    version = 8; // committed between the caller's attempt and its subscription
    const woke = await new Promise<boolean>((resolve) => {
      const off = watcher.on(baseline, () => {
        off();
        resolve(true);
      });
    });
    expect(woke).toBe(true);
    // While a waiter listens, current() is the watcher's reading: no extra query per caller.
    let reads = 0;
    const counting = new ExternalChanges(() => {
      reads++;
      return version;
    });
    const off = counting.on(counting.current(), () => undefined);
    const before = reads;
    for (let i = 0; i < 5; i++) counting.current();
    expect(reads).toBe(before);
    off();
    counting.stop();
  });
});
