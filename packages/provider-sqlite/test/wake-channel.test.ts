import { type ActivityExecuteItem, type OrchestrationAck, systemClock } from '@duroxide/core';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteProvider, sqliteTestHooks } from '../src/index.js';
import { LongPoller } from '../src/long-poll.js';
import {
  CommitNotifier,
  Signal,
  type WakeToken,
  WorkChannel,
  type WorkHint,
  type WorkWaiter,
} from '../src/notifier.js';
import { since, start } from './helpers.js';

const any: WorkWaiter = { key: 'any', accepts: () => true };

/** Registers a waiter that records its wakes and unsubscribes on the first one (as a long poll does). */
function waitOn(channel: WorkChannel, waiter: WorkWaiter, woken: (WakeToken | null)[]): () => void {
  const off = channel.wait(waiter, (token) => {
    off();
    woken.push(token);
  });
  return off;
}

describe('LongPoller', () => {
  it('a wake that lands while an empty attempt is in flight (nobody listening yet) makes the fetch retry', async () => {
    const notifier = new CommitNotifier();
    const poller = new LongPoller(
      { clock: systemClock, closing: new Signal(), isClosed: () => false, external: null },
      notifier,
    );
    let attempts = 0;
    const started = performance.now();
    const result = await poller.poll(
      notifier.orchestratorWork,
      any,
      10_000,
      async () => {
        attempts++;
        // The first attempt is in its group commit while another write commits work and signals it.
        if (attempts === 1) notifier.orchestratorWork.notify([null]);
        return attempts === 1 ? null : 'work';
      },
      () => null,
    );
    expect(result).toBe('work');
    expect(attempts).toBe(2);
    expect(performance.now() - started, 'retried at once, not after the 10 s poll').toBeLessThan(1_000);
    expect(notifier.listenerCount).toBe(0);
  });
});

describe('WorkChannel', () => {
  it('wakes one waiter per new item instead of every waiter', () => {
    const channel = new WorkChannel();
    const woken: (WakeToken | null)[][] = [[], [], [], []];
    for (const w of woken) waitOn(channel, any, w);
    channel.notify([null]);
    expect(woken.map((w) => w.length)).toEqual([1, 0, 0, 0]);
    channel.notify([null, null]);
    expect(woken.map((w) => w.length)).toEqual([1, 1, 1, 0]);
    expect(channel.size).toBe(1);
  });

  it('skips waiters whose filter cannot take the item', () => {
    const channel = new WorkChannel();
    const untaggedOnly: WorkWaiter = { key: 'default', accepts: (h) => h === null || h.tag === null };
    const gpu: WorkWaiter = { key: 'gpu', accepts: (h) => h === null || h.tag === 'gpu' };
    const a: (WakeToken | null)[] = [];
    const b: (WakeToken | null)[] = [];
    waitOn(channel, untaggedOnly, a);
    waitOn(channel, gpu, b);
    channel.notify([{ tag: 'gpu', session: false }]);
    expect([a.length, b.length]).toEqual([0, 1]);
  });

  it('a waiter that found nothing passes the wake to a waiter with another filter, never the same one', () => {
    const channel = new WorkChannel();
    const first: (WakeToken | null)[] = [];
    const sameKey: (WakeToken | null)[] = [];
    const otherKey: (WakeToken | null)[] = [];
    waitOn(channel, { key: 'v1', accepts: () => true }, first);
    waitOn(channel, { key: 'v1', accepts: () => true }, sameKey);
    waitOn(channel, { key: 'v2', accepts: () => true }, otherKey);
    channel.notify([null]);
    const token = first[0];
    expect(token).toBeDefined();
    channel.passOn(token!, 'v1');
    expect([sameKey.length, otherKey.length]).toEqual([0, 1]);
    // Every filter tried it: the wake ends there.
    channel.passOn(otherKey[0]!, 'v2');
    expect(sameKey.length).toBe(0);
  });

  it('a waiter that leaves without trying gives its wake to the next waiter, same filter included', () => {
    const channel = new WorkChannel();
    const first: (WakeToken | null)[] = [];
    const second: (WakeToken | null)[] = [];
    waitOn(channel, any, first);
    waitOn(channel, any, second);
    channel.notify([null]);
    channel.giveBack(first[0]!);
    expect(second.length).toBe(1);
  });

  it('session items and broadcasts wake every accepting waiter', () => {
    const channel = new WorkChannel();
    const withSessions: WorkWaiter = { key: 's', accepts: (h: WorkHint) => h === null || h.tag === null };
    const noSessions: WorkWaiter = { key: 'n', accepts: (h: WorkHint) => h === null || !h.session };
    const woken: (WakeToken | null)[][] = [[], [], []];
    waitOn(channel, withSessions, woken[0]!);
    waitOn(channel, withSessions, woken[1]!);
    waitOn(channel, noSessions, woken[2]!);
    channel.notify([{ tag: null, session: true }]);
    expect(woken.map((w) => w.length)).toEqual([1, 1, 0]);
    channel.broadcast();
    expect(woken.map((w) => w.length)).toEqual([1, 1, 1]);
  });
});

const activity = (instance: string, tag?: string): ActivityExecuteItem => ({
  kind: 'ActivityExecute',
  instance,
  executionId: 1,
  id: 1,
  name: 'A',
  input: '{}',
  ...(tag === undefined ? {} : { tag }),
});

const emptyAck: OrchestrationAck = {
  executionId: 1,
  historyDelta: [],
  workerItems: [],
  orchestratorItems: [],
  metadata: { orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' },
  cancelledActivities: [],
};

describe('targeted wakes through the provider', () => {
  let provider: SqliteProvider | null = null;
  const open = async (): Promise<SqliteProvider> => {
    provider = await SqliteProvider.inMemory();
    return provider;
  };
  afterEach(async () => {
    await provider?.close();
    provider = null;
  });

  it('one enqueue hands the item to one of several waiting fetches; the others keep waiting', async () => {
    const p = await open();
    const fetches = [0, 1, 2].map(() => p.fetchWorkItem(30_000, 2_000, null, 'defaultOnly'));
    await new Promise((r) => setTimeout(r, 20));
    await p.enqueueForWorker(activity('one'));
    const first = await Promise.race(fetches);
    expect(first?.item.instance).toBe('one');
    expect(sqliteTestHooks.listenerCount(p)).toBe(2);
    await p.close();
    expect((await Promise.all(fetches)).filter((f) => f !== null)).toHaveLength(1);
  });

  it('a tagged item reaches the fetch that accepts its tag even when an untagged-only fetch waits first', async () => {
    const p = await open();
    const untagged = p.fetchWorkItem(30_000, 2_000, null, 'defaultOnly');
    const gpu = p.fetchWorkItem(30_000, 2_000, null, { tags: ['gpu'] });
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    await p.enqueueForWorker(activity('tagged', 'gpu'));
    expect((await gpu)?.item.tag).toBe('gpu');
    expect(since(t0)).toBeLessThan(100);
    await p.close();
    expect(await untagged).toBeNull();
  });

  it('messages that arrived while the instance was locked wake a waiting fetch when the turn commits', async () => {
    const p = await open();
    await p.enqueueForOrchestrator(start('busy'));
    const locked = await p.fetchOrchestrationItem(30_000, 0);
    expect(locked?.item.instance).toBe('busy');
    const waiting = p.fetchOrchestrationItem(30_000, 2_000);
    await new Promise((r) => setTimeout(r, 20));
    // The waiting fetch is woken for this message but cannot take the locked instance.
    await p.enqueueForOrchestrator({ kind: 'ExternalRaised', instance: 'busy', name: 'e', data: '1' });
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    await p.ackOrchestrationItem(locked!.lockToken, emptyAck);
    const next = await waiting;
    expect(next?.item.instance).toBe('busy');
    expect(next?.item.messages.map((m) => m.kind)).toEqual(['ExternalRaised']);
    expect(since(t0)).toBeLessThan(100);
  });
});
