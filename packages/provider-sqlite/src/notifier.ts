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

/** Commit signals shared by every provider object on one database in this process. */
export class CommitNotifier {
  /** Fired after a commit that may have made orchestrator work fetchable. */
  readonly orchestratorWork = new Signal();
  /** Fired after a commit that may have made worker work fetchable. */
  readonly workerWork = new Signal();
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

/** What a committed write may have changed; the provider turns it into notifications. */
export interface CommitEffects {
  /** Orchestrator messages were enqueued or released. */
  orchestrator: boolean;
  /** Worker items were enqueued or released. */
  worker: boolean;
  /** Instances whose state or inbox changed. */
  instances: string[];
}

/** No effects. */
export const NO_EFFECTS: CommitEffects = { orchestrator: false, worker: false, instances: [] };

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
