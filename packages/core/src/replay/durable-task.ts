import type { DurableTask } from './context-api.js';
import type { TurnScope } from './turn-scope.js';

/** What a durable task waits for; `composite` covers `all`, `race` and retry loops. */
export type TaskKind =
  | 'activity'
  | 'timer'
  | 'wait'
  | 'dequeue'
  | 'subOrchestration'
  | 'detached'
  | 'composite';

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

type Listener = (value: unknown) => void;

/**
 * The thenable behind every durable call. Only the engine settles it (one delivery at a time); user
 * callbacks always run through a native promise, so no user code runs inside the engine. A cancelled
 * task never settles (like a dropped Rust future).
 */
export class DurableTaskImpl<T = unknown> implements DurableTask<T> {
  /** 0 pending, 1 fulfilled, 2 rejected. */
  state = PENDING;
  /** The value or the rejection reason once settled. */
  value: unknown = undefined;
  /** Set by `cancel()`; the task then never settles. */
  cancelled = false;
  /** The event id of the schedule event this task is bound to (0 while unbound). */
  eventId = 0;
  /** Global settle order within the turn (history order), used by `race` for pre-settled members. */
  settleSeq = 0;
  /** Creation order within the turn. */
  readonly seq: number;
  /** The delivered task whose settlement led to the code that created this task (null: the first run). */
  readonly cause: DurableTaskImpl | null;
  /** True once user code registered a callback (awaited it). */
  awaited = false;
  /** True once a combinator took this task as a member or as part of an async block it owns. */
  claimed = false;
  /** The combinator window this task was last noted in (avoids duplicates). */
  windowMark: object | null = null;
  /** Maps a delivered success value (system calls turn JSON into numbers or strings). */
  transform: ((value: unknown) => unknown) | null = null;
  /** Extra cancellation work (composites cancel members, retry loops their current attempt). */
  onCancel: (() => void) | null = null;
  private listeners: Listener[] | null = null;
  private parents: ((task: DurableTaskImpl) => void)[] | null = null;

  constructor(
    /** The turn this task belongs to. */
    readonly scope: TurnScope,
    /** What the task waits for. */
    readonly kind: TaskKind,
  ) {
    this.seq = scope.nextSeq();
    this.cause = scope.cause;
    scope.noteCreated(this);
  }

  /** Getter so the engine sees synchronously that code is about to await this task (async-block attribution). */
  // biome-ignore lint/suspicious/noThenProperty: a durable task is deliberately a thenable.
  get then(): DurableTask<T>['then'] {
    this.scope.noteAwaited(this);
    return durableThen as DurableTask<T>['then'];
  }

  /** Like `Promise.prototype.catch`. */
  catch<R = never>(onRejected?: ((reason: any) => R | PromiseLike<R>) | null): PromiseLike<T | R> {
    return durableThen.call(this, undefined, onRejected) as PromiseLike<T | R>;
  }

  /** Cancels the pending operation; breadcrumbs are written at the end of the turn. */
  cancel(): void {
    if (this.state !== PENDING || this.cancelled) return;
    this.scope.assertLive('cancel');
    this.cancelled = true;
    this.scope.noteCancelled(this);
    this.onCancel?.();
  }

  /** Whether the task is still waiting (not settled, not cancelled). */
  get isPending(): boolean {
    return this.state === PENDING && !this.cancelled;
  }

  /** Registers an engine-internal listener (combinators); called synchronously on settlement. */
  addParent(parent: (task: DurableTaskImpl) => void): void {
    if (this.parents === null) this.parents = [parent];
    else this.parents.push(parent);
  }

  /** Registers user callbacks (fulfil, reject) resolving a native promise. */
  addListener(onFulfilled: Listener, onRejected: Listener): void {
    this.awaited = true;
    if (this.state === FULFILLED) {
      queueMicrotask(() => onFulfilled(this.value));
      return;
    }
    if (this.state === REJECTED) {
      queueMicrotask(() => onRejected(this.value));
      return;
    }
    if (this.listeners === null) this.listeners = [onFulfilled, onRejected];
    else this.listeners.push(onFulfilled, onRejected);
  }

  /** Settles the task (engine only); ignored when already settled or cancelled. Returns whether it settled. */
  settle(ok: boolean, value: unknown): boolean {
    if (this.state !== PENDING || this.cancelled) return false;
    this.state = ok ? FULFILLED : REJECTED;
    this.value = value;
    this.settleSeq = this.scope.nextSettleSeq();
    this.scope.noteSettled(this);
    const listeners = this.listeners;
    if (listeners !== null) {
      this.listeners = null;
      this.scope.markDirty();
      const offset = ok ? 0 : 1;
      for (let i = offset; i < listeners.length; i += 2) listeners[i]!(value);
    }
    const parents = this.parents;
    if (parents !== null) {
      this.parents = null;
      for (const parent of parents) parent(this);
    }
    return true;
  }
}

function durableThen(this: DurableTaskImpl, onFulfilled?: unknown, onRejected?: unknown): Promise<unknown> {
  const p = new Promise<unknown>((resolve, reject) => this.addListener(resolve, reject));
  if (typeof onFulfilled !== 'function' && typeof onRejected !== 'function') return p;
  return p.then(onFulfilled as Listener | undefined, onRejected as Listener | undefined);
}

/** Whether a value is one of our durable tasks (checked without touching the `then` getter). */
export function isDurableTask(value: unknown): value is DurableTaskImpl {
  return value instanceof DurableTaskImpl;
}

/** Whether a value is a foreign thenable (a plain promise, e.g. an async block). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
