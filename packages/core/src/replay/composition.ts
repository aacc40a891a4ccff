import { ConfigurationError } from '../errors.js';
import type { Settled } from './context-api.js';
import { DurableTaskImpl, isDurableTask, isThenable } from './durable-task.js';
import type { TurnScope } from './turn-scope.js';

/** Async-block ownership of a combinator: window tasks plus everything their settlement led to. */
interface Ownership {
  owned: Set<DurableTaskImpl>;
  minSeq: number;
}

function ownershipOf(tasks: DurableTaskImpl[]): Ownership | null {
  if (tasks.length === 0) return null;
  let minSeq = Number.POSITIVE_INFINITY;
  for (const t of tasks) if (t.seq < minSeq) minSeq = t.seq;
  return { owned: new Set(tasks), minSeq };
}

/** Whether a task belongs to an async block: it, or a task whose delivery led to it, is owned. */
function isOwned(task: DurableTaskImpl, ownership: Ownership): boolean {
  for (
    let node: DurableTaskImpl | null = task;
    node !== null && node.seq >= ownership.minSeq;
    node = node.cause
  ) {
    if (ownership.owned.has(node)) return true;
  }
  return false;
}

/** Cancels every pending task an async block owns (Rust drops the block's futures). */
function cancelOwned(scope: TurnScope, ownership: Ownership | null, self: DurableTaskImpl): void {
  if (ownership === null) return;
  for (const task of [...scope.pending]) {
    if (task !== self && task.isPending && isOwned(task, ownership)) task.cancel();
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `ctx.all`: waits for every member; `{ok}`/`{err}` in input order; never rejects for a member. */
export function createAll(
  scope: TurnScope,
  members: readonly unknown[],
  owned: DurableTaskImpl[],
): DurableTaskImpl {
  const all = new DurableTaskImpl(scope, 'composite');
  const ownership = ownershipOf(owned);
  const results: Settled<unknown>[] = new Array(members.length);
  let remaining = members.length;
  const record = (index: number, outcome: Settled<unknown>): void => {
    if (all.state !== 0 || all.cancelled) return;
    results[index] = outcome;
    remaining -= 1;
    if (remaining === 0) all.settle(true, results);
  };
  all.onCancel = () => {
    for (const m of members) if (isDurableTask(m)) m.cancel();
    cancelOwned(scope, ownership, all);
  };
  members.forEach((member, index) => {
    if (isDurableTask(member)) {
      const take = (t: DurableTaskImpl) =>
        record(index, t.state === 1 ? { ok: t.value } : { err: errorMessage(t.value) });
      if (member.state !== 0) take(member);
      else member.addParent(take);
    } else if (isThenable(member)) {
      member.then(
        (value) => record(index, { ok: value }),
        (error) => record(index, { err: errorMessage(error) }),
      );
    } else {
      record(index, { ok: member });
    }
  });
  if (members.length === 0) all.settle(true, results);
  return all;
}

/** `ctx.race`: the first member to settle in history order wins; losers (async blocks included) are cancelled. */
export function createRace(
  scope: TurnScope,
  members: readonly unknown[],
  owned: DurableTaskImpl[],
): DurableTaskImpl {
  if (members.length === 0) throw new ConfigurationError('ctx.race needs at least one task');
  const race = new DurableTaskImpl(scope, 'composite');
  const ownership = ownershipOf(owned);
  const cancelLosers = (winner: number): void => {
    members.forEach((m, i) => {
      if (i !== winner && isDurableTask(m)) m.cancel();
    });
    cancelOwned(scope, ownership, race);
  };
  const win = (index: number, ok: boolean, value: unknown): void => {
    if (race.state !== 0 || race.cancelled) return;
    cancelLosers(index);
    race.settle(ok, ok ? { index, value } : value);
  };
  race.onCancel = () => cancelLosers(-1);
  let early: { index: number; order: number; ok: boolean; value: unknown } | null = null;
  members.forEach((member, index) => {
    if (isDurableTask(member)) {
      if (member.state !== 0) {
        if (early === null || member.settleSeq < early.order) {
          early = { index, order: member.settleSeq, ok: member.state === 1, value: member.value };
        }
      } else member.addParent((t) => win(index, t.state === 1, t.value));
    } else if (isThenable(member)) {
      member.then(
        (value) => win(index, true, value),
        (error) => win(index, false, error),
      );
    } else if (early === null || early.order >= 0) {
      early = { index, order: -1, ok: true, value: member };
    }
  });
  const first = early as { index: number; ok: boolean; value: unknown } | null;
  if (first !== null) win(first.index, first.ok, first.value);
  return race;
}
