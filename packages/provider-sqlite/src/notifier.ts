import type { ActivityExecuteItem } from '@duroxide/core';

/** A callback run when a signal fires. */
export type Listener = () => void;

/** Subscribes a listener; returns the unsubscribe function. */
export type Subscribe = (listener: Listener) => () => void;

/** A set of listeners fired together. */
export class Signal {
  private readonly listeners = new Set<Listener>();

  /** Adds a listener; returns the function that removes it. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Runs every current listener. */
  emit(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** How many listeners are registered (lets tests prove nothing leaks). */
  get size(): number {
    return this.listeners.size;
  }
}

/** What a waiting work-item fetch needs to know about a new activity to decide whether it could take it. */
export function workHint(item: ActivityExecuteItem): WorkHint {
  return { tag: item.tag ?? null, session: item.sessionId !== undefined && item.sessionId !== null };
}

/** What a woken waiter knows about the work that woke it (worker items: tag and session; else null). */
export type WorkHint = { tag: string | null; session: boolean } | null;

/** A waiting fetch as the work channel sees it. */
export interface WorkWaiter {
  /** Waiters with equal keys fetch with equal filters: when one finds nothing, the others would too. */
  key: string;
  /** Whether this waiter's filter could take work described by the hint. */
  accepts(hint: WorkHint): boolean;
}

/** A wake handed to one waiter; passed on (to a waiter with another filter) when that waiter finds nothing. */
export interface WakeToken {
  /** The work that caused the wake. */
  hint: WorkHint;
  /** Filter keys that already tried this wake and found nothing. */
  tried: Set<string>;
}

interface WaitingEntry {
  waiter: WorkWaiter;
  wake: (token: WakeToken | null) => void;
}

/**
 * Wakes waiting fetches for committed work: one waiter per new item instead of all of them (every woken
 * waiter runs a write transaction, and only one can win each item). Filters mean the chosen waiter may not
 * match: a waiter woken with a token that finds nothing passes it on to a waiter with a different filter,
 * so each wake is tried at most once per distinct filter. Changes whose effect is unknown broadcast.
 */
export class WorkChannel {
  private readonly waiting = new Set<WaitingEntry>();
  private unclaimed = 0;

  /**
   * Counts wakes that found no waiter to take them. A fetch's attempt runs in a group commit after it was
   * submitted, so a wake can land between its empty attempt and its subscription; a changed count tells
   * the fetch to try again instead of sleeping through that wake (claimed wakes reached someone already).
   */
  get missedWakes(): number {
    return this.unclaimed;
  }

  /** Registers a waiter until the returned function is called; `wake` gets the token, or null for a broadcast. */
  wait(waiter: WorkWaiter, wake: (token: WakeToken | null) => void): () => void {
    const entry: WaitingEntry = { waiter, wake };
    this.waiting.add(entry);
    return () => {
      this.waiting.delete(entry);
    };
  }

  /** Wakes every waiter (work of unknown shape or time appeared, e.g. a delayed message or a released lock). */
  broadcast(): void {
    if (this.waiting.size === 0) this.unclaimed++;
    for (const entry of [...this.waiting]) entry.wake(null);
  }

  /** Wakes one accepting waiter per hint; a session item wakes every accepting waiter (its lease owner may be any). */
  notify(hints: readonly WorkHint[]): void {
    for (const hint of hints) {
      if (hint?.session === true) {
        let woken = 0;
        for (const entry of [...this.waiting]) {
          if (!entry.waiter.accepts(hint)) continue;
          entry.wake(null);
          woken++;
        }
        if (woken === 0) this.unclaimed++;
      } else {
        this.handOff({ hint, tried: new Set() });
      }
    }
  }

  /** The waiter woken with `token` found nothing: try a waiter whose filter has not tried this wake yet. */
  passOn(token: WakeToken, key: string): void {
    token.tried.add(key);
    this.handOff(token);
  }

  /** A waiter woken with `token` left without trying (closed, aborted, failed): wake another one instead. */
  giveBack(token: WakeToken): void {
    this.handOff(token);
  }

  /** How many fetches are waiting. */
  get size(): number {
    return this.waiting.size;
  }

  private handOff(token: WakeToken): void {
    for (const entry of this.waiting) {
      if (token.tried.has(entry.waiter.key) || !entry.waiter.accepts(token.hint)) continue;
      // The woken waiter unsubscribes synchronously, so the next hint picks another one.
      entry.wake(token);
      return;
    }
    this.unclaimed++;
  }
}

/** Commit signals shared by every provider object on one database in this process. */
export class CommitNotifier {
  /** Wakes orchestration fetches after a commit that made orchestrator work fetchable. */
  readonly orchestratorWork = new WorkChannel();
  /** Wakes work-item fetches after a commit that made worker work fetchable. */
  readonly workerWork = new WorkChannel();
  private readonly instanceSignals = new Map<string, Signal>();

  /** Listens for commits touching one instance; returns the unsubscribe function. */
  onInstance(instance: string, listener: Listener): () => void {
    let signal = this.instanceSignals.get(instance);
    if (!signal) {
      signal = new Signal();
      this.instanceSignals.set(instance, signal);
    }
    const off = signal.on(listener);
    return () => {
      off();
      if (signal.size === 0 && this.instanceSignals.get(instance) === signal) {
        this.instanceSignals.delete(instance);
      }
    };
  }

  /** Tells listeners of these instances that a commit touched them. */
  emitInstances(instances: Iterable<string>): void {
    for (const instance of instances) this.instanceSignals.get(instance)?.emit();
  }

  /** How many listeners of any kind are registered. */
  get listenerCount(): number {
    let n = this.orchestratorWork.size + this.workerWork.size;
    for (const signal of this.instanceSignals.values()) n += signal.size;
    return n;
  }
}

/** How a commit changed one queue: `all` wakes every waiter, a number wakes that many, hints one each. */
export type QueueEffect = 'all' | number | readonly WorkHint[];

/** What a committed write may have changed; the provider turns it into notifications. */
export interface CommitEffects {
  /** Orchestrator work made fetchable: instances with visible messages, or `all` (delayed or released work). */
  orchestrator: QueueEffect;
  /** Worker items made fetchable (their hints), or `all` (released work). */
  worker: QueueEffect;
  /** Instances whose state or inbox changed. */
  instances: string[];
}

/** No effects. */
export const NO_EFFECTS: CommitEffects = { orchestrator: 0, worker: 0, instances: [] };

/** Delivers one queue's effect to its channel. */
export function deliver(channel: WorkChannel, effect: QueueEffect): void {
  if (effect === 'all') channel.broadcast();
  else if (typeof effect === 'number') {
    if (effect > 0) channel.notify(Array.from({ length: effect }, () => null));
  } else if (effect.length > 0) channel.notify(effect);
}

const shared = new Map<string, { notifier: CommitNotifier; refs: number }>();

/** A notifier handle; `release` drops this provider's reference. */
export interface NotifierHandle {
  /** The notifier. */
  notifier: CommitNotifier;
  /** Drops the reference; the shared notifier is forgotten with its last user. */
  release(): void;
}

/**
 * The notifier for a database file (shared by every provider object on that file in this process, so
 * they wake each other), or a private one for an in-memory database (`key` null).
 */
export function acquireNotifier(key: string | null): NotifierHandle {
  if (key === null) return { notifier: new CommitNotifier(), release: () => {} };
  let entry = shared.get(key);
  if (!entry) {
    entry = { notifier: new CommitNotifier(), refs: 0 };
    shared.set(key, entry);
  }
  entry.refs += 1;
  const held = entry;
  let released = false;
  return {
    notifier: held.notifier,
    release: () => {
      if (released) return;
      released = true;
      held.refs -= 1;
      if (held.refs === 0 && shared.get(key) === held) shared.delete(key);
    },
  };
}

/**
 * Resolves `'signal'` as soon as any subscription fires, or `'timeout'` after `delayMs`; always clears its
 * timer and unsubscribes every listener before resolving.
 */
export function waitForAny(subscriptions: Subscribe[], delayMs: number): Promise<'signal' | 'timeout'> {
  return new Promise((resolve) => {
    const offs: (() => void)[] = [];
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (why: 'signal' | 'timeout') => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const off of offs) off();
      resolve(why);
    };
    for (const subscribe of subscriptions) offs.push(subscribe(() => finish('signal')));
    if (!done) timer = setTimeout(() => finish('timeout'), Math.max(0, Math.ceil(delayMs)));
  });
}
