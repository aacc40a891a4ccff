import './support/pg-cjs-shim.js';
import { decodeEvent, type Event, type OrchestratorItem } from '@duroxide/core';
import { emptyAck, event, fetchInstance, startedEvent, startItem } from '@duroxide/provider-tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresProvider } from '../src/index.js';
import { usePostgres } from './support/test-db.js';

const db = usePostgres();

/** A message that only gives an instance a turn. */
function poke(instance: string): OrchestratorItem {
  return { kind: 'ExternalRaised', instance, name: 'poke', data: '{}' };
}

/** `count` KV events from id `from` on (any kind works: history is stored verbatim). */
function events(instance: string, from: number, count: number, value: string): Event[] {
  return Array.from({ length: count }, (_, i) =>
    event(instance, 1, from + i, { kind: 'KeyValueSet', key: `k${from + i}`, value, lastUpdatedAtMs: 1 }),
  );
}

describe('decoded-history cache', () => {
  let provider: PostgresProvider;
  let schema: string;

  beforeAll(async () => {
    schema = db.schema('hcache');
    provider = await PostgresProvider.connectWithSchema(db.url, schema);
  });
  afterAll(async () => {
    await provider.close();
  });

  /** The stored history, read and decoded without any cache. */
  async function stored(instance: string): Promise<Event[]> {
    const { rows } = await db.raw.query<{ event_data: string }>(
      `SELECT event_data FROM "${schema}".history WHERE instance_id = $1 ORDER BY execution_id, event_id`,
      [instance],
    );
    return rows.map((r) => decodeEvent(r.event_data));
  }

  /** Runs one turn for `instance` that appends `delta`; returns the history the turn was fetched with. */
  async function turn(instance: string, delta: Event[], first = false): Promise<Event[]> {
    await provider.enqueueForOrchestrator(first ? startItem(instance) : poke(instance));
    const fetched = await fetchInstance(provider, instance, 30_000);
    await provider.ackOrchestrationItem(
      fetched.lockToken,
      emptyAck(1, {
        historyDelta: delta,
        metadata: { orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' },
      }),
    );
    return fetched.item.history;
  }

  it('fetches and reads after appended turns return exactly the stored history', async () => {
    const id = 'hc-append';
    await turn(id, [startedEvent(id), ...events(id, 2, 11, 'a')], true);
    expect(await provider.read(id)).toEqual(await stored(id));
    expect(await turn(id, events(id, 13, 3, 'b'))).toEqual((await stored(id)).slice(0, 12));
    expect(await turn(id, events(id, 16, 2, 'c'))).toEqual((await stored(id)).slice(0, 15));
    expect(await provider.read(id)).toEqual(await stored(id));
    expect(await provider.readWithExecution(id, 1)).toEqual(await stored(id));
    expect((await provider.read(id)).length).toBe(17);
  });

  it('callers get their own arrays: changing one does not change the next read', async () => {
    const id = 'hc-own-array';
    await turn(id, [startedEvent(id), ...events(id, 2, 9, 'a')], true);
    const first = await provider.read(id);
    first.pop();
    expect(await provider.read(id)).toHaveLength(10);
  });

  it('a stored event rewritten in place (raw SQL) is seen by the next read and fetch, never the cached copy', async () => {
    const id = 'hc-rewrite';
    await turn(id, [startedEvent(id), ...events(id, 2, 11, 'old')], true);
    expect((await provider.read(id))[4]).toMatchObject({ value: 'old' });
    const [rewritten] = events(id, 5, 1, 'new');
    await db.raw.query(
      `UPDATE "${schema}".history SET event_data = $2 WHERE instance_id = $1 AND event_id = 5`,
      [id, JSON.stringify(rewritten)],
    );
    expect((await provider.read(id))[4]).toMatchObject({ value: 'new' });
    await db.raw.query(
      `UPDATE "${schema}".history SET event_data = $2 WHERE instance_id = $1 AND event_id = 6`,
      [id, JSON.stringify(events(id, 6, 1, 'newer')[0])],
    );
    const history = await turn(id, []);
    expect(history[5]).toMatchObject({ value: 'newer' });
    expect(history).toEqual(await stored(id));
  });

  it('an instance deleted and started again with as many events is read afresh', async () => {
    const id = 'hc-reborn';
    await turn(id, [startedEvent(id), ...events(id, 2, 11, 'first life')], true);
    expect((await provider.read(id))[3]).toMatchObject({ value: 'first life' });
    await provider.asManagementCapability().deleteInstance(id, true);
    await turn(id, [startedEvent(id), ...events(id, 2, 11, 'second life')], true);
    expect((await provider.read(id))[3]).toMatchObject({ value: 'second life' });
    expect(await turn(id, [])).toEqual(await stored(id));
  });

  it('an event inserted below the cached last id (raw append) is not skipped', async () => {
    const id = 'hc-gap';
    await turn(id, [startedEvent(id), ...events(id, 2, 4, 'a'), ...events(id, 7, 6, 'a')], true);
    expect(await provider.read(id)).toHaveLength(11);
    await provider.appendWithExecution(id, 1, events(id, 6, 1, 'filled'));
    const history = await provider.read(id);
    expect(history.map((e) => e.eventId)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(history[5]).toMatchObject({ value: 'filled' });
  });
});

describe('grouped wake-ups', () => {
  let waiter: PostgresProvider;
  let writer: PostgresProvider;

  beforeAll(async () => {
    const schema = db.schema('wake');
    waiter = await PostgresProvider.connectWithSchema(db.url, schema);
    writer = await PostgresProvider.connectWithSchema(db.url, schema);
  });
  afterAll(async () => {
    await waiter.close();
    await writer.close();
  });

  it('one queued activity wakes one of two identical waiting fetches; the other waits out its poll', async () => {
    const pollMs = 1_500;
    const started = performance.now();
    const fetches = [0, 1].map(async () => {
      const item = await waiter.fetchWorkItem(30_000, pollMs, null, 'any');
      return { item, ms: performance.now() - started };
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writer.enqueueForWorker({
      kind: 'ActivityExecute',
      instance: 'wake-one',
      executionId: 1,
      id: 1,
      name: 'A',
      input: '{}',
    });
    const results = await Promise.all(fetches);
    const taken = results.filter((r) => r.item !== null);
    expect(taken).toHaveLength(1);
    expect(taken[0]!.ms, 'the woken fetch returned on the notification').toBeLessThan(pollMs);
    const idle = results.find((r) => r.item === null);
    expect(idle!.ms, 'the other one was left waiting').toBeGreaterThanOrEqual(pollMs - 50);
    await waiter.ackWorkItem(taken[0]!.item!.lockToken, null);
  });

  it('waiters with different tag filters are separate groups: the matching one wakes', async () => {
    const pollMs = 5_000;
    const started = performance.now();
    const untagged = waiter.fetchWorkItem(30_000, 1_000, null, 'defaultOnly');
    const tagged = waiter.fetchWorkItem(30_000, pollMs, null, { tags: ['gpu'] }).then((item) => ({
      item,
      ms: performance.now() - started,
    }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writer.enqueueForWorker({
      kind: 'ActivityExecute',
      instance: 'wake-tag',
      executionId: 1,
      id: 1,
      name: 'A',
      input: '{}',
      tag: 'gpu',
    });
    const woken = await tagged;
    expect(woken.item?.item.tag).toBe('gpu');
    expect(woken.ms).toBeLessThan(pollMs);
    expect(await untagged).toBeNull();
    await waiter.ackWorkItem(woken.item!.lockToken, null);
  });
});
