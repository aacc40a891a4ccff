import { NondeterminismError } from '../errors.js';
import type { Action } from './actions.js';
import { type DurableTaskImpl, isDurableTask } from './durable-task.js';
import { reportLateCall } from './late-calls.js';

/** Tasks created or awaited between a combinator's property access and its call (its argument list). */
export interface CombinatorWindow {
  tasks: DurableTaskImpl[];
}

/**
 * The per-turn state shared by the engine, the context and the tasks: the action FIFO, pending tasks,
 * cancellations, the "code may have work queued" flag and async-block attribution windows.
 */
export class TurnScope {
  /** False once the turn ended; later context calls are nondeterminism. */
  live = true;
  /** Set when user callbacks were scheduled since the last drain. */
  dirty = false;
  /** The task whose delivery caused the code now running (lineage for async blocks). */
  cause: DurableTaskImpl | null = null;
  /** What `ctx.isReplaying` reports to the code now running. */
  replaying = false;
  /** Unsettled, uncancelled tasks in creation order. */
  readonly pending = new Set<DurableTaskImpl>();
  /** Tasks cancelled during this turn, in cancellation order. */
  readonly cancelledTasks: DurableTaskImpl[] = [];
  /** Actions recorded by the code (FIFO; `actionHead` is the next unconsumed one). */
  readonly actions: Action[] = [];
  /** Index of the next action the engine has not consumed. */
  actionHead = 0;
  private seqCounter = 0;
  private settleCounter = 0;
  private windows: CombinatorWindow[] = [];

  constructor(
    private readonly instance: string,
    private readonly handler: object,
  ) {}

  /** Next creation sequence number. */
  nextSeq(): number {
    return ++this.seqCounter;
  }

  /** Next settlement sequence number. */
  nextSettleSeq(): number {
    return ++this.settleCounter;
  }

  /** Registers a new task as pending and notes it in the open combinator window. */
  noteCreated(task: DurableTaskImpl): void {
    this.pending.add(task);
    this.noteInWindow(task);
  }

  /** Notes that code is about to await a task (its `then` was read). */
  noteAwaited(task: DurableTaskImpl): void {
    this.noteInWindow(task);
  }

  /** Removes a settled task from the pending set. */
  noteSettled(task: DurableTaskImpl): void {
    this.pending.delete(task);
  }

  /** Records a cancellation. */
  noteCancelled(task: DurableTaskImpl): void {
    this.pending.delete(task);
    this.cancelledTasks.push(task);
  }

  /** User callbacks were scheduled: the engine must drain before the next delivery. */
  markDirty(): void {
    this.dirty = true;
  }

  /** Records an action (fails loudly when no turn is running). */
  record(action: Action, operation: string): void {
    this.assertLive(operation);
    this.actions.push(action);
  }

  /** Throws (and remembers for the next turn) when the context is used after its turn ended. */
  assertLive(operation: string): void {
    if (this.live) return;
    const message =
      `ctx.${operation} was called while no orchestration turn was running: the orchestration awaited a ` +
      'non-durable promise (fetch, setTimeout, I/O, ...); only durable tasks may be awaited';
    reportLateCall(this.handler, this.instance, message);
    throw new NondeterminismError(message);
  }

  /** Opens an attribution window (at `ctx.race` / `ctx.all` property access). */
  openWindow(): CombinatorWindow {
    const window: CombinatorWindow = { tasks: [] };
    this.windows.push(window);
    return window;
  }

  /**
   * Closes a window at the combinator call and returns the tasks it owns: those created or awaited
   * while its arguments were evaluated that are neither direct members nor owned by an inner combinator.
   */
  closeWindow(window: CombinatorWindow | null, members: readonly unknown[]): DurableTaskImpl[] {
    for (const m of members) if (isDurableTask(m)) m.claimed = true;
    if (window === null) return [];
    const at = this.windows.lastIndexOf(window);
    if (at >= 0) this.windows.length = at;
    const owned: DurableTaskImpl[] = [];
    for (const task of window.tasks) {
      if (task.claimed) continue;
      task.claimed = true;
      owned.push(task);
    }
    return owned;
  }

  /** Forgets windows whose combinator was never called (a drain ends every argument list). */
  resetWindows(): void {
    if (this.windows.length > 0) this.windows = [];
  }

  private noteInWindow(task: DurableTaskImpl): void {
    const top = this.windows[this.windows.length - 1];
    if (top === undefined || task.windowMark === top) return;
    task.windowMark = top;
    top.tasks.push(task);
  }
}
