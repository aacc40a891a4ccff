import type { Clock } from '@duroxide/core';
import { isManualClock } from '@duroxide/core';
import pg from 'pg';
import { EmptyPools } from './empty-pools.js';
import { instanceHash } from './sql/naming.js';

/** Which queue a fetch waits on. */
export type QueueKind = 'orchestrator' | 'worker';

/** How long a wait lasts at most while the LISTEN connection is down (then fetches poll). */
const DISCONNECTED_POLL_MS = 500;
/** Reconnect delays for the LISTEN connection. */
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

interface Waiter {
  kind: QueueKind | 'instance';
  hash: string | null;
  /** Fetches of one group (same queue and filter) would find the same work: one wake per new item suffices. */
  group: string;
  /**
   * The coarser group of fetches that would all find work not bound to a session (same queue and tag
   * filter, any session owner): plain activities wake one of these per item.
   */
  pool: string;
  /** Ends the wait; `picked` when a notification chose this waiter for one of its items. */
  resolve: (picked: boolean) => void;
  timer: NodeJS.Timeout;
}

/**
 * Wakes waiting fetches and instance waiters from Postgres notifications on the schema's channel. One
 * dedicated connection LISTENs; payloads are `o:<md5 instance>` (orchestrator message), `w:[s]<count>`
 * (activities) and `c:<md5 instance>` (a turn committed). Per-queue sequence numbers close the gap between a fetch
 * finding nothing and starting to wait. A `ManualClock` advance wakes everything, and while the
 * connection is down waits are capped so fetches fall back to polling until it is back.
 */
export class Notifier {
  private readonly seqs: Record<QueueKind, number> = { orchestrator: 0, worker: 0 };
  private readonly waiters = new Set<Waiter>();
  private readonly emptyPools = new EmptyPools();
  private client: pg.Client | null = null;
  private connected = false;
  private closed = false;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly unsubscribeClock: (() => void) | null;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    clock: Clock,
  ) {
    this.unsubscribeClock = isManualClock(clock) ? clock.onAdvance(() => this.wakeAll()) : null;
  }

  /** Opens the LISTEN connection; the provider is not usable for long polling before this resolves. */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Whether notifications are currently being received. */
  get listening(): boolean {
    return this.connected;
  }

  /** The current sequence number of a queue; capture it before querying, then pass it to `wait`. */
  seq(kind: QueueKind): number {
    return this.seqs[kind];
  }

  /**
   * Resolves after `ms`, as soon as the queue was notified since `sinceSeq`, when a notification picks this
   * waiter (as many waiters of each `group`, or for plain activities of each `pool`, as it announced
   * items), or on close. `pool` defaults to `group`. Resolves true when a notification picked it.
   */
  wait(
    kind: QueueKind,
    sinceSeq: number,
    ms: number,
    signal?: AbortSignal,
    group = '',
    pool = group,
  ): Promise<boolean> {
    if (this.closed || this.seqs[kind] !== sinceSeq || ms <= 0 || signal?.aborted) {
      return Promise.resolve(false);
    }
    return this.addWaiter(kind, null, ms, signal, group, pool);
  }

  /**
   * Records that a query begun at `sinceSeq` found nothing any fetch of `pool` could take, until
   * `nextWakeAt` (null: until notified). Ignored when a notification arrived meanwhile.
   */
  markEmpty(kind: QueueKind, pool: string, sinceSeq: number, nextWakeAt: number | null): void {
    if (this.seqs[kind] === sinceSeq && this.connected) this.emptyPools.record(kind, pool, nextWakeAt);
  }

  /** Forgets that `pool` is empty (a fetch picked by a notification found nothing, or failed). */
  forgetEmpty(kind: QueueKind, pool: string): void {
    this.emptyPools.forget(kind, pool);
  }

  /**
   * The next wake-up time (null: none) while `pool` is known to be empty at `now`, else undefined (the
   * fetch must query). Never while the LISTEN connection is down, since notifications could be missed.
   */
  knownEmpty(kind: QueueKind, pool: string, now: number): number | null | undefined {
    return this.connected ? this.emptyPools.get(kind, pool, now) : undefined;
  }

  /** Resolves when a commit touches `instance`, after `ms`, or on close. */
  async waitForInstance(instance: string, ms: number): Promise<void> {
    if (this.closed || ms <= 0) return;
    await this.addWaiter('instance', instanceHash(instance), ms, undefined, '', '');
  }

  /** Stops listening and wakes every waiter. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribeClock?.();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.wakeAll();
    const client = this.client;
    this.client = null;
    this.connected = false;
    if (client) await client.end().catch(() => undefined);
  }

  /** Wakes every waiting fetch (and instance waiter) so it re-checks the store. */
  wakeAll(): void {
    this.seqs.orchestrator += 1;
    this.seqs.worker += 1;
    this.emptyPools.clear();
    for (const waiter of [...this.waiters]) this.release(waiter);
  }

  private addWaiter(
    kind: Waiter['kind'],
    hash: string | null,
    ms: number,
    signal: AbortSignal | undefined,
    group: string,
    pool: string,
  ): Promise<boolean> {
    const capped = this.connected ? ms : Math.min(ms, DISCONNECTED_POLL_MS);
    return new Promise<boolean>((resolve) => {
      const onAbort = () => this.release(waiter);
      const waiter: Waiter = {
        kind,
        hash,
        group,
        pool,
        resolve: (picked) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(picked);
        },
        timer: setTimeout(onAbort, capped),
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private release(waiter: Waiter, picked = false): void {
    if (!this.waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    waiter.resolve(picked);
  }

  /**
   * `o:<hash>` (one orchestrator message) wakes one waiting orchestration fetch per group. `w:<n>` announces
   * n activities bound to no session: any fetch with the same tag filter can take them, so it wakes n
   * waiters per pool. `w:s<n>` (some bound to a session, which only its owner may take) wakes n per group,
   * `w:` one per group. Waking every waiter on every item made each notification cost one fetch query per
   * idle slot; the waiters of a group (or pool) are interchangeable, so the ones left waiting could not
   * have taken the item either. Instance waiters wake on `c:` (a turn ack, migration 7) with their hash.
   */
  private onNotification(payload: string): void {
    const kind = payload.charAt(0);
    const hash = payload.slice(2);
    const queue: QueueKind | null = kind === 'o' ? 'orchestrator' : kind === 'w' ? 'worker' : null;
    if (queue !== null) this.seqs[queue] += 1;
    const plain = kind === 'w' && /^[0-9]+$/.test(hash);
    const counted = kind === 'w' ? /^s?([0-9]+)$/.exec(hash) : null;
    const perKey = counted ? Math.max(1, Number(counted[1])) : 1;
    const woken = new Map<string, number>();
    for (const waiter of [...this.waiters]) {
      if (waiter.kind === 'instance') {
        // Only turn acks (`c:`) change what clients read; `o:` also comes from activity completions.
        if (kind === 'c' && hash !== '' && waiter.hash === hash) this.release(waiter);
        continue;
      }
      if (waiter.kind !== queue) continue;
      const key = plain ? waiter.pool : waiter.group;
      const count = woken.get(key) ?? 0;
      if (count >= perKey) continue;
      woken.set(key, count + 1);
      this.release(waiter, true);
    }
    if (queue !== null) this.emptyPools.keepOnly(queue, (pool) => plain && woken.get(pool) === perKey);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    client.on('notification', (msg) => {
      if (msg.channel === this.channel) this.onNotification(msg.payload ?? '');
    });
    client.on('error', () => this.onDisconnect(client));
    client.on('end', () => this.onDisconnect(client));
    await client.connect();
    try {
      await client.query(`LISTEN "${this.channel}"`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.connected = true;
    this.reconnectDelay = RECONNECT_MIN_MS;
    // Anything may have happened while we were not listening.
    this.wakeAll();
  }

  private onDisconnect(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.connected = false;
    client.end().catch(() => undefined);
    this.wakeAll();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().catch(() => this.scheduleReconnect());
    }, delay);
    this.reconnectTimer.unref();
  }
}
