import type { Event, OrchestrationAck, Provider } from '@duroxide/core';
import { createInstance, emptyAck, event, fetchInstance, startItem } from '@duroxide/provider-tests';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryCache } from '../src/history-cache.js';
import { corruptInstanceHistory, RedisProvider } from '../src/index.js';
import { uniquePrefix, useRedisServer } from './support/redis-server.js';

const url = useRedisServer();
const LOCK_MS = 30_000;

/** An `ExternalEvent` carrying `data`, so tests can tell which write produced an event. */
function marked(instance: string, executionId: number, eventId: number, data: string): Event {
  return event(instance, executionId, eventId, { kind: 'ExternalEvent', name: 'mark', data });
}

/** Runs one turn on `provider`: raises an event, fetches the instance, acks `delta`; returns the fetched history. */
async function turn(
  provider: Provider,
  instance: string,
  delta: Event[],
  ack: Partial<OrchestrationAck> = {},
): Promise<Event[]> {
  await provider.enqueueForOrchestrator({ kind: 'ExternalRaised', instance, name: 'go', data: '{}' });
  const fetched = await fetchInstance(provider, instance, LOCK_MS);
  const executionId = ack.executionId ?? fetched.item.executionId;
  await provider.ackOrchestrationItem(
    fetched.lockToken,
    emptyAck(executionId, { historyDelta: delta, ...ack, executionId }),
  );
  return fetched.item.history;
}

/** The `data` of every marked event plus the id of every event, which must be 1..n in order. */
function summary(history: Event[]): { ids: number[]; marks: string[] } {
  return {
    ids: history.map((e) => e.eventId),
    marks: history.flatMap((e) => (e.kind === 'ExternalEvent' ? [e.data] : [])),
  };
}

describe('redis history cache: every path that rewrites history invalidates it', () => {
  let a: RedisProvider;
  let b: RedisProvider;
  beforeEach(async () => {
    const keyPrefix = uniquePrefix('hcache');
    // Two providers on one prefix behave as two processes: separate connections and separate caches.
    a = await RedisProvider.connect(url(), { keyPrefix });
    b = await RedisProvider.connect(url(), { keyPrefix });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('fetches after this process acked carry the whole history, identical to an uncached read', async () => {
    await createInstance(a, 'i1', LOCK_MS);
    await turn(a, 'i1', [marked('i1', 1, 2, 'x2')]);
    await turn(a, 'i1', [marked('i1', 1, 3, 'x3'), marked('i1', 1, 4, 'x4')]);
    const seen = await turn(a, 'i1', []);
    expect(summary(seen)).toEqual({ ids: [1, 2, 3, 4], marks: ['x2', 'x3', 'x4'] });
    // b never cached i1: its read is a whole, unhinted read.
    expect(seen).toEqual(await b.read('i1'));
    expect(await a.read('i1')).toEqual(seen);
  });

  it("another process's ack is seen by the next fetch and read of the process that cached the history", async () => {
    await createInstance(a, 'i2', LOCK_MS);
    await turn(a, 'i2', [marked('i2', 1, 2, 'a2')]);
    expect(summary(await a.read('i2')).marks).toEqual(['a2']);
    await turn(b, 'i2', [marked('i2', 1, 3, 'b3')]);
    expect(summary(await a.read('i2')).marks).toEqual(['a2', 'b3']);
    const seen = await turn(a, 'i2', [marked('i2', 1, 4, 'a4')]);
    expect(summary(seen)).toEqual({ ids: [1, 2, 3], marks: ['a2', 'b3'] });
    expect(summary(await a.read('i2')).marks).toEqual(['a2', 'b3', 'a4']);
  });

  it('delete and recreate with the same id: the cached history of the old instance is never returned', async () => {
    await createInstance(a, 'i3', LOCK_MS);
    await turn(a, 'i3', [marked('i3', 1, 2, 'old2'), marked('i3', 1, 3, 'old3')]);
    expect(summary(await a.read('i3')).marks).toEqual(['old2', 'old3']);
    await b.asManagementCapability().deleteInstance('i3', true);
    expect(await a.read('i3')).toEqual([]);
    // Recreated with the same number of events as before: only the generation tells them apart.
    await createInstance(b, 'i3', LOCK_MS);
    await turn(b, 'i3', [marked('i3', 1, 2, 'new2'), marked('i3', 1, 3, 'new3')]);
    expect(summary(await a.read('i3')).marks).toEqual(['new2', 'new3']);
    const seen = await turn(a, 'i3', []);
    expect(summary(seen).marks).toEqual(['new2', 'new3']);
  });

  it('delete and recreate between two fetches of the same process', async () => {
    await createInstance(a, 'i4', LOCK_MS);
    await turn(a, 'i4', [marked('i4', 1, 2, 'old')]);
    await a.asManagementCapability().deleteInstance('i4', true);
    await createInstance(a, 'i4', LOCK_MS);
    const seen = await turn(a, 'i4', []);
    expect(summary(seen)).toEqual({ ids: [1], marks: [] });
  });

  it('appendWithExecution by another process: tail appends and out-of-order ids both show up in order', async () => {
    await createInstance(a, 'i5', LOCK_MS);
    await turn(a, 'i5', [marked('i5', 1, 2, 'e2'), marked('i5', 1, 5, 'e5')]);
    expect(summary(await a.read('i5')).ids).toEqual([1, 2, 5]);
    await b.appendWithExecution('i5', 1, [marked('i5', 1, 6, 'e6')]);
    expect(summary(await a.read('i5')).ids).toEqual([1, 2, 5, 6]);
    // An id below the highest reorders the history: the cached prefix is no longer a prefix.
    await b.appendWithExecution('i5', 1, [marked('i5', 1, 3, 'e3')]);
    expect(summary(await a.read('i5'))).toEqual({ ids: [1, 2, 3, 5, 6], marks: ['e2', 'e3', 'e5', 'e6'] });
    await b.appendWithExecution('i5', 1, [marked('i5', 1, 4, 'e4')]);
    const seen = await turn(a, 'i5', []);
    expect(summary(seen).ids).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('appendWithExecution by the same process', async () => {
    await createInstance(a, 'i6', LOCK_MS);
    await turn(a, 'i6', []);
    await a.appendWithExecution('i6', 1, [marked('i6', 1, 2, 'p2')]);
    expect(summary(await turn(a, 'i6', [])).marks).toEqual(['p2']);
    await a.appendWithExecution('i6', 1, [marked('i6', 1, 4, 'p4')]);
    await a.appendWithExecution('i6', 1, [marked('i6', 1, 3, 'p3')]);
    expect(summary(await turn(a, 'i6', [])).ids).toEqual([1, 2, 3, 4]);
  });

  it('prune: a cached old execution reads as gone once pruned; the current execution is untouched', async () => {
    await createInstance(a, 'i7', LOCK_MS);
    await turn(a, 'i7', [marked('i7', 1, 2, 'x1')], { metadata: { status: 'ContinuedAsNew' } });
    // Acking execution 2 makes it current (as continue-as-new does).
    await turn(a, 'i7', [marked('i7', 2, 1, 'x2')], { executionId: 2 });
    expect(summary(await b.readWithExecution('i7', 1)).marks).toEqual(['x1']);
    const result = await a.asManagementCapability().pruneExecutions('i7', { keepLast: 1 });
    expect(result.executionsDeleted).toBe(1);
    expect(await b.readWithExecution('i7', 1)).toEqual([]);
    expect(summary(await b.read('i7')).marks).toEqual(['x2']);
  });

  it('a pruned execution recreated by an append gets a new generation', async () => {
    await createInstance(a, 'i8', LOCK_MS);
    await turn(a, 'i8', [marked('i8', 1, 2, 'first')], { metadata: { status: 'ContinuedAsNew' } });
    await turn(a, 'i8', [marked('i8', 2, 1, 'cur')], { executionId: 2 });
    expect(summary(await b.readWithExecution('i8', 1)).ids).toEqual([1, 2]);
    await a.asManagementCapability().pruneExecutions('i8', { keepLast: 1 });
    // Same ids and count as the cached execution 1: only the generation tells them apart.
    await a.appendWithExecution('i8', 1, [marked('i8', 1, 1, 'again1'), marked('i8', 1, 2, 'again2')]);
    expect(summary(await b.readWithExecution('i8', 1)).marks).toEqual(['again1', 'again2']);
  });

  it('corrupted history reaches the next fetch as historyError even with a cached prefix', async () => {
    await createInstance(a, 'i9', LOCK_MS);
    await turn(a, 'i9', [marked('i9', 1, 2, 'ok')]);
    await corruptInstanceHistory(a, 'i9');
    await a.enqueueForOrchestrator({ kind: 'ExternalRaised', instance: 'i9', name: 'go', data: '{}' });
    const fetched = await fetchInstance(a, 'i9', LOCK_MS);
    expect(fetched.item.historyError).not.toBeNull();
    expect(fetched.item.history).toEqual([]);
    await a.abandonOrchestrationItem(fetched.lockToken);
    await expect(a.read('i9')).rejects.toThrow(/history event/);
  });

  it('a fetch whose cached prefix was evicted falls back to a whole read', async () => {
    await createInstance(a, 'i10', LOCK_MS);
    await turn(a, 'i10', [marked('i10', 1, 2, 'k2')]);
    // The server still records that this process holds two events; the process no longer does.
    (Reflect.get(a, 'history') as HistoryCache).drop('i10');
    const seen = await turn(a, 'i10', [marked('i10', 1, 3, 'k3')]);
    expect(summary(seen)).toEqual({ ids: [1, 2], marks: ['k2'] });
    expect(summary(await turn(a, 'i10', [])).marks).toEqual(['k2', 'k3']);
  });

  it('a new execution: the next fetch does not reuse the cached previous execution', async () => {
    await createInstance(a, 'i11', LOCK_MS);
    await turn(a, 'i11', [marked('i11', 1, 2, 'gen1')], { metadata: { status: 'ContinuedAsNew' } });
    await turn(a, 'i11', [marked('i11', 2, 1, 'gen2')], { executionId: 2 });
    const seen = await turn(a, 'i11', []);
    expect(seen.every((e) => e.executionId === 2)).toBe(true);
    expect(summary(seen).marks).toEqual(['gen2']);
    expect(summary(await a.readWithExecution('i11', 1)).marks).toEqual(['gen1']);
    expect(summary(await a.read('i11')).marks).toEqual(['gen2']);
  });
});

describe('HistoryCache (unit)', () => {
  const ev = (id: number): Event => event('u', 1, id, { kind: 'ExternalEvent', name: 'n', data: String(id) });

  it('completes a partial reply from the cached prefix and refuses one it cannot complete', () => {
    const cache = new HistoryCache();
    expect(cache.resolve('u', { executionId: 1, generation: '7', base: 2, events: [ev(3)] })).toBeNull();
    cache.resolve('u', { executionId: 1, generation: '7', base: -1, events: [ev(1), ev(2)] });
    expect(cache.hint('u', null)).toEqual({ executionId: 1, generation: '7', count: 2, lastEventId: 2 });
    const full = cache.resolve('u', { executionId: 1, generation: '7', base: 2, events: [ev(3)] });
    expect(full?.map((e) => e.eventId)).toEqual([1, 2, 3]);
    expect(cache.resolve('u', { executionId: 1, generation: '8', base: 3, events: [] })).toBeNull();
    expect(cache.resolve('u', { executionId: 1, generation: '7', base: 4, events: [] })).toBeNull();
    // A shorter base is still a valid prefix (the cache may have been extended by a later read).
    expect(cache.resolve('u', { executionId: 1, generation: '7', base: 1, events: [ev(2)] })?.length).toBe(2);
  });

  it('evicts the least recently used instance past its limits and never caches generation-less replies', () => {
    const cache = new HistoryCache(2, 100);
    cache.resolve('a', { executionId: 1, generation: '1', base: -1, events: [ev(1)] });
    cache.resolve('b', { executionId: 1, generation: '1', base: -1, events: [ev(1)] });
    cache.resolve('c', { executionId: 1, generation: '1', base: -1, events: [ev(1)] });
    expect(cache.size).toBe(2);
    expect(cache.hint('a', null).executionId).toBe('');
    cache.resolve('d', { executionId: 1, generation: null, base: -1, events: [ev(1)] });
    expect(cache.hint('d', null).executionId).toBe('');
  });

  it('returns copies: mutating a returned history does not change the cache', () => {
    const cache = new HistoryCache();
    const first = cache.resolve('u', { executionId: 1, generation: '1', base: -1, events: [ev(1)] });
    first?.push(ev(2));
    expect(cache.hint('u', 1).count).toBe(1);
  });
});

// Keep the builders honest: a start item for an unknown instance still fetches with an empty history.
it('a brand-new instance fetches with an empty history through the cache path', async () => {
  const provider = await RedisProvider.connect(url(), { keyPrefix: uniquePrefix('hcache-new') });
  try {
    await provider.enqueueForOrchestrator(startItem('fresh'));
    const fetched = await fetchInstance(provider, 'fresh', LOCK_MS);
    expect(fetched.item.history).toEqual([]);
    await provider.abandonOrchestrationItem(fetched.lockToken);
  } finally {
    await provider.close();
  }
});
