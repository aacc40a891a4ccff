import { type Clock, isManualClock } from '@duroxide/core';
import type { Redis } from 'ioredis';

/** Which queue a waiting fetch watches. */
export type QueueKind = 'orchestrator' | 'worker';

/** A wake for one new item, handed to one waiter; passed on to another filter when that waiter finds nothing. */
export interface WakeToken {
  readonly kind: QueueKind;
  /** Filter keys whose waiters already tried this wake and found nothing. */
  readonly tried: Set<string>;
  /** Arrival order (the feed's sequence when the notification came). */
  readonly seq: number;
}

/** A fetch attempt in flight (see `beginFetch`). */
export interface InFlightFetch {
  readonly kind: QueueKind;
  /** The feed's sequence when the attempt started: later wakes may have been missed by it. */
  readonly seq: number;
}

interface Waiter {
  kind: QueueKind | null;
  /** Waiters with equal keys fetch with equal filters: when one finds nothing, the others would too. */
  key: string;
  instance: string | null;
  wake: (token: WakeToken | null) => void;
}

/**
 * The provider's view of commits made by any process: every write script publishes one message on the
 * prefix's channel (`"<flags>|<e> <e>..."`, flags `o` = orchestrator work, `w` = worker work, then the
 * escaped ids of the instances whose client-visible state changed: turn acks, history appends and
 * management, not enqueues or activity completions). A dedicated subscriber connection receives them and wakes
 * waiting fetches. A flag followed by a count (`o2`, `w1`) wakes one waiter per new item rather than all
 * of them (each woken fetch is a round trip, and only one can win an item); a bare flag, a `ManualClock`
 * advance and a subscriber reconnect wake every waiter, since their effect is unknown.
 */
export class ChangeFeed {
  private readonly generations: Record<QueueKind, number> = { orchestrator: 0, worker: 0 };
  /** Per filter key (`kind key`): bumped when a wake died untried by that key. */
  private readonly keyGenerations = new Map<string, number>();
  private seq = 0;
  /** Wakes no waiter took, kept for the fetches that were in flight when they came (one retry each). */
  private unclaimed: Record<QueueKind, WakeToken[]> = { orchestrator: [], worker: [] };
  private readonly inFlight = new Set<InFlightFetch>();
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

  /**
   * A counter that changes whenever work of this kind may have appeared that no waiting fetch with this
   * filter key was told about, so a fetch with that key that was in flight must look again.
   */
  generation(kind: QueueKind, key: string): number {
    const id = `${kind} ${key}`;
    let own = this.keyGenerations.get(id);
    if (own === undefined) {
      own = 0;
      this.keyGenerations.set(id, own);
    }
    return this.generations[kind] + own;
  }

  /** A counter that changes when every waiter of `kind` was woken (work of unknown count or time). */
  broadcasts(kind: QueueKind): number {
    return this.generations[kind];
  }

  /** Registers a fetch attempt about to run, so a wake nobody waits for can be handed to it afterwards. */
  beginFetch(kind: QueueKind): InFlightFetch {
    const fetch = { kind, seq: this.seq };
    this.inFlight.add(fetch);
    return fetch;
  }

  /**
   * Ends an attempt. `emptyKey` (the filter key of an attempt that found nothing, else null) claims one
   * wake that came while it ran and that no waiter took: the attempt may have run before that commit,
   * so it must look once more (with the claimed token). Other attempts in flight do not retry for it.
   */
  endFetch(fetch: InFlightFetch, emptyKey: string | null): WakeToken | null {
    this.inFlight.delete(fetch);
    const list = this.unclaimed[fetch.kind];
    let claimed: WakeToken | null = null;
    if (emptyKey !== null) {
      const at = list.findIndex((t) => t.seq > fetch.seq && !t.tried.has(emptyKey));
      if (at >= 0) claimed = list.splice(at, 1)[0] ?? null;
    }
    // A wake older than every attempt still in flight was seen by all of them: forget it.
    let oldest = Number.POSITIVE_INFINITY;
    for (const f of this.inFlight) if (f.kind === fetch.kind && f.seq < oldest) oldest = f.seq;
    if (list.length > 0) this.unclaimed[fetch.kind] = list.filter((t) => t.seq > oldest);
    return claimed;
  }

  /**
   * Resolves after `ms` (null), or earlier when work of `kind` may have appeared or the feed closes: with
   * a token when this waiter was chosen for one new item (pass it on or give it back if it finds nothing).
   */
  waitForWork(kind: QueueKind, key: string, ms: number, signal?: AbortSignal): Promise<WakeToken | null> {
    return this.waitFor({ kind, key, instance: null }, ms, signal);
  }

  /** Resolves after `ms`, or earlier when a commit touched the instance (escaped id) or the feed closes. */
  async waitForInstance(instance: string, ms: number): Promise<void> {
    await this.waitFor({ kind: null, key: '', instance }, ms);
  }

  /** The waiter woken with `token` found nothing: wake a waiter whose filter has not tried it yet. */
  passOn(token: WakeToken, key: string): void {
    token.tried.add(key);
    this.handOff(token);
  }

  /** A waiter woken with `token` left without fetching (closed, aborted, failed): wake another one. */
  giveBack(token: WakeToken): void {
    this.handOff(token);
  }

  /** Wakes every waiter and stops listening. */
  close(): void {
    this.closed = true;
    this.unsubscribeClock?.();
    this.unsubscribeClock = null;
    this.wakeAll();
  }

  private waitFor(
    target: { kind: QueueKind | null; key: string; instance: string | null },
    ms: number,
    signal?: AbortSignal,
  ): Promise<WakeToken | null> {
    if (this.closed || signal?.aborted) return Promise.resolve(null);
    return new Promise<WakeToken | null>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => waiter.wake(null);
      const waiter: Waiter = {
        ...target,
        wake: (token) => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.waiters.delete(waiter);
          resolve(token);
        },
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(onAbort, Math.max(0, Math.ceil(ms)));
    });
  }

  private onMessage(message: string): void {
    const bar = message.indexOf('|');
    const flags = bar < 0 ? message : message.slice(0, bar);
    this.deliver('orchestrator', countOf(flags, 'o'));
    this.deliver('worker', countOf(flags, 'w'));
    if (bar < 0 || bar === message.length - 1) return;
    const touched = new Set(message.slice(bar + 1).split(' '));
    for (const waiter of [...this.waiters]) {
      if (waiter.instance !== null && touched.has(waiter.instance)) waiter.wake(null);
    }
  }

  /** Wakes every waiter of `kind` ('all') or one per new item. */
  private deliver(kind: QueueKind, count: number | 'all'): void {
    if (count === 'all') {
      this.generations[kind] += 1;
      for (const waiter of [...this.waiters]) if (waiter.kind === kind) waiter.wake(null);
    } else {
      for (let i = 0; i < count; i++) {
        this.seq += 1;
        this.handOff({ kind, tried: new Set(), seq: this.seq });
      }
    }
  }

  private handOff(token: WakeToken): void {
    for (const waiter of this.waiters) {
      if (waiter.kind !== token.kind || token.tried.has(waiter.key)) continue;
      // The woken waiter leaves the set synchronously, so the next token picks another one.
      waiter.wake(token);
      return;
    }
    // Nobody is left to try it: a fetch in flight with a filter that has not tried it may have run before
    // the commit (one of them looks again), and a filter's "known empty" no longer holds.
    if (this.hasInFlight(token.kind)) this.unclaimed[token.kind].push(token);
    const prefix = `${token.kind} `;
    for (const [id, n] of this.keyGenerations) {
      if (id.startsWith(prefix) && !token.tried.has(id.slice(prefix.length)))
        this.keyGenerations.set(id, n + 1);
    }
  }

  private hasInFlight(kind: QueueKind): boolean {
    for (const f of this.inFlight) if (f.kind === kind) return true;
    return false;
  }

  private wakeAll(): void {
    this.generations.orchestrator += 1;
    this.generations.worker += 1;
    for (const waiter of [...this.waiters]) waiter.wake(null);
  }

  /** How many waiters are registered (lets tests prove nothing leaks). */
  get waiterCount(): number {
    return this.waiters.size;
  }
}

/** The wake count a flag carries: absent 0, bare 'all' (unknown effect), else its decimal count. */
function countOf(flags: string, letter: 'o' | 'w'): number | 'all' {
  const at = flags.indexOf(letter);
  if (at < 0) return 0;
  let end = at + 1;
  while (end < flags.length && flags.charCodeAt(end) >= 48 && flags.charCodeAt(end) <= 57) end += 1;
  return end === at + 1 ? 'all' : Number(flags.slice(at + 1, end));
}
