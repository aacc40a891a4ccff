import { type Clock, isManualClock } from '@duroxide/core';
import type { Redis } from 'ioredis';

/** Which queue a waiting fetch watches. */
export type QueueKind = 'orchestrator' | 'worker';

interface Waiter {
  kind: QueueKind | null;
  instance: string | null;
  wake: () => void;
}

/**
 * The provider's view of commits made by any process: every write script publishes one message on the
 * prefix's channel (`"<flags>|<e> <e>..."`, flags `o` = orchestrator work, `w` = worker work, then the
 * escaped ids of the instances it touched). A dedicated subscriber connection receives them and wakes
 * waiting fetches; a `ManualClock` advance and a subscriber reconnect wake every waiter too, since
 * either may have made work fetchable without a message.
 */
export class ChangeFeed {
  private readonly generations: Record<QueueKind, number> = { orchestrator: 0, worker: 0 };
  private readonly waiters = new Set<Waiter>();
  private unsubscribeClock: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
    clock: Clock,
  ) {
    subscriber.on('message', (ch: string, message: string) => {
      if (ch === this.channel) this.onMessage(message);
    });
    // A reconnect may have missed messages: make every waiter look again.
    subscriber.on('ready', () => this.wakeAll());
    if (isManualClock(clock)) this.unsubscribeClock = clock.onAdvance(() => this.wakeAll());
  }

  /** Subscribes; resolves once the server confirmed, so no later commit can be missed. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  /** A counter that changes whenever work of this kind may have appeared. */
  generation(kind: QueueKind): number {
    return this.generations[kind];
  }

  /** Resolves after `ms`, or earlier when work of `kind` may have appeared or the feed closes. */
  waitForWork(kind: QueueKind, ms: number, signal?: AbortSignal): Promise<void> {
    return this.waitFor({ kind, instance: null }, ms, signal);
  }

  /** Resolves after `ms`, or earlier when a commit touched the instance (escaped id) or the feed closes. */
  waitForInstance(instance: string, ms: number): Promise<void> {
    return this.waitFor({ kind: null, instance }, ms);
  }

  /** Wakes every waiter and stops listening. */
  close(): void {
    this.closed = true;
    this.unsubscribeClock?.();
    this.unsubscribeClock = null;
    this.wakeAll();
  }

  private waitFor(
    target: { kind: QueueKind | null; instance: string | null },
    ms: number,
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        ...target,
        wake: () => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', waiter.wake);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', waiter.wake, { once: true });
      timer = setTimeout(waiter.wake, Math.max(0, Math.ceil(ms)));
    });
  }

  private onMessage(message: string): void {
    const bar = message.indexOf('|');
    const flags = bar < 0 ? message : message.slice(0, bar);
    const instances =
      bar < 0
        ? []
        : message
            .slice(bar + 1)
            .split(' ')
            .filter((s) => s !== '');
    const orchestrator = flags.includes('o');
    const worker = flags.includes('w');
    if (orchestrator) this.generations.orchestrator += 1;
    if (worker) this.generations.worker += 1;
    const touched = new Set(instances);
    for (const waiter of [...this.waiters]) {
      if (
        (waiter.kind === 'orchestrator' && orchestrator) ||
        (waiter.kind === 'worker' && worker) ||
        (waiter.instance !== null && touched.has(waiter.instance))
      ) {
        waiter.wake();
      }
    }
  }

  private wakeAll(): void {
    this.generations.orchestrator += 1;
    this.generations.worker += 1;
    for (const waiter of [...this.waiters]) waiter.wake();
  }

  /** How many waiters are registered (lets tests prove nothing leaks). */
  get waiterCount(): number {
    return this.waiters.size;
  }
}
