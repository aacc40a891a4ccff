import { ManualClock } from '@duroxide/core';
import { activityItem, emptyAck, event, startedEvent, startItem } from '@duroxide/provider-tests';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeId, encodeId, RedisProvider } from '../src/index.js';
import { uniquePrefix, useRedisServer } from './support/redis-server.js';

const url = useRedisServer();

describe('encodeId', () => {
  it('round-trips, never contains a key separator or glob character, and is injective', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const ea = encodeId(a, 'test');
        expect(decodeId(ea)).toBe(a);
        expect(ea).toMatch(/^[A-Za-z0-9_.%-]*$/);
        if (a !== b) expect(encodeId(b, 'test')).not.toBe(ea);
      }),
    );
  });

  it('rejects a lone surrogate with a permanent error naming the problem', () => {
    expect(() => encodeId('bad\ud800', 'enqueueForOrchestrator')).toThrow(/not valid UTF-16/);
  });
});

describe('user ids cannot reach other keys', () => {
  let provider: RedisProvider;
  let prefix: string;
  const clock = new ManualClock();
  beforeAll(async () => {
    prefix = uniquePrefix('escaping');
    provider = await RedisProvider.connect(url(), { keyPrefix: prefix, clock });
  });
  afterAll(() => provider.close());

  /** Ids that would collide or glob-match under naive `prefix:i:${id}:suffix` keys. */
  const tricky = ['a', 'a:h:1', 'a:kv', 'a:q', '*', 'a*', '{a}', 'a b', 'a%3Ah%3A1', ':', '', 'ü:x'];

  it('keeps history, KV and queues of ids with ":" "*" "{" and spaces apart', async () => {
    for (const [i, id] of tricky.entries()) {
      if (id === '') continue;
      await provider.enqueueForOrchestrator(startItem(id));
      const fetched = await provider.fetchOrchestrationItem(30_000, 0);
      expect(fetched?.item.instance).toBe(id);
      if (!fetched) continue;
      await provider.ackOrchestrationItem(
        fetched.lockToken,
        emptyAck(1, {
          historyDelta: [
            startedEvent(id),
            event(id, 1, 2, { kind: 'KeyValueSet', key: 'k', value: `v${i}`, lastUpdatedAtMs: 1 }),
          ],
          workerItems: [activityItem(id, 3, { sessionId: `s:${id}` })],
          metadata: { orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' },
        }),
      );
    }
    for (const [i, id] of tricky.entries()) {
      if (id === '') continue;
      const history = await provider.read(id);
      expect(
        history.map((e) => e.eventId),
        `history of ${JSON.stringify(id)}`,
      ).toEqual([1, 2]);
      expect(history.every((e) => e.instanceId === id)).toBe(true);
      expect(await provider.getKvValue(id, 'k')).toBe(`v${i}`);
    }
    const admin = provider.asManagementCapability();
    expect(new Set(await admin.listInstances())).toEqual(new Set(tricky.filter((id) => id !== '')));
    // Deleting "a" must not touch "a:h:1", "a*" and friends.
    await admin.deleteInstance('a', true);
    expect(await provider.read('a')).toEqual([]);
    for (const id of tricky.filter((t) => t !== 'a' && t !== '')) {
      expect(await provider.read(id), `history of ${JSON.stringify(id)} survives deleting 'a'`).toHaveLength(
        2,
      );
    }
  });

  it('stores every key under the prefix, with user ids only in escaped form', async () => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await provider.connection.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) {
      const rest = key.slice(prefix.length + 1);
      // Every segment is a fixed name, a number, or an escaped id: no raw ':' '*' '{' or space from a user id.
      expect(rest, key).toMatch(/^[A-Za-z0-9_.%:-]+$/);
    }
  });
});
