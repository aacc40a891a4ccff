import type { FetchedOrchestrationItem, Provider } from '@duroxide/core';
import { expect, it } from 'vitest';
import { createInstance, emptyAck, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { uniqueId, withProvider } from '../harness.js';
import {
  activityCompleted,
  expectRejection,
  LONG_LOCK_MS,
  mustFetchOrchestration,
  Signal,
  stagger,
} from '../helpers-a.js';

/** Activity ids of the `ActivityCompleted` messages in a batch, in order. */
function completionIds(fetched: FetchedOrchestrationItem): number[] {
  return fetched.item.messages.flatMap((m) => (m.kind === 'ActivityCompleted' ? [m.id] : []));
}

/** A fetch that retries retryable errors (busy stores) for up to five seconds, as duroxide's contenders do. */
async function fetchRetryingBusy(provider: Provider): Promise<FetchedOrchestrationItem | null> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0);
    } catch (error) {
      if ((error as { retryable?: unknown }).retryable !== true || Date.now() > deadline) throw error;
      await stagger(10);
    }
  }
}

/** duroxide validation group `instance_locking` (reference provider-contract §3.2): one turn per instance at a time. */
export const instanceLockingGroup: ConformanceGroup = (options) => {
  it('test_exclusive_instance_lock', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const instance = uniqueId('lock-exclusive');
      await provider.enqueueForOrchestrator(startItem(instance));
      const first = await mustFetchOrchestration(provider, lockTimeoutMs);
      expect(
        await provider.fetchOrchestrationItem(lockTimeoutMs, 0),
        'locked instance is not fetchable',
      ).toBeNull();
      clock.advance(lockTimeoutMs + 1);
      const second = await mustFetchOrchestration(provider, lockTimeoutMs);
      expect(second.item.instance).toBe(instance);
      expect(second.lockToken).not.toBe(first.lockToken);
    }));

  it('test_lock_token_uniqueness', () =>
    withProvider(options, async ({ provider }) => {
      for (let i = 0; i < 5; i++)
        await provider.enqueueForOrchestrator(startItem(uniqueId(`lock-unique-${i}`)));
      const tokens: string[] = [];
      for (let i = 0; i < 5; i++)
        tokens.push((await mustFetchOrchestration(provider, LONG_LOCK_MS)).lockToken);
      expect(new Set(tokens).size, 'every fetch mints a new token').toBe(5);
    }));

  it('test_invalid_lock_token_rejection', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('lock-invalid');
      await provider.enqueueForOrchestrator(startItem(instance));
      await mustFetchOrchestration(provider, LONG_LOCK_MS);
      await expectRejection(
        provider.ackOrchestrationItem('invalid-token', emptyAck()),
        'ack with a bogus token',
      );
      await expectRejection(provider.abandonOrchestrationItem('invalid-token'), 'abandon with a bogus token');
      expect(
        await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0),
        'the real lock is still held',
      ).toBeNull();
    }));

  it('test_concurrent_instance_fetching', () =>
    withProvider(options, async ({ provider }) => {
      const instances = Array.from({ length: 10 }, (_, i) => uniqueId(`lock-concurrent-${i}`));
      for (const instance of instances) await provider.enqueueForOrchestrator(startItem(instance));
      const results = await Promise.all(
        instances.map(async (_, i) => {
          await stagger(i * 10);
          return provider.fetchOrchestrationItem(LONG_LOCK_MS, 0);
        }),
      );
      const fetched = results.flatMap((r) => (r ? [r.item.instance] : []));
      expect(fetched, 'every fetcher gets an instance').toHaveLength(10);
      expect(new Set(fetched), 'each instance is fetched exactly once').toEqual(new Set(instances));
    }));

  it('test_completions_arriving_during_lock_blocked', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const instance = uniqueId('lock-arrivals');
      await provider.enqueueForOrchestrator(startItem(instance));
      const first = await mustFetchOrchestration(provider, lockTimeoutMs);
      expect(first.item.instance).toBe(instance);
      for (let id = 1; id <= 3; id++) {
        await provider.enqueueForOrchestrator(activityCompleted(instance, id, `result-${id}`));
      }
      expect(await provider.fetchOrchestrationItem(lockTimeoutMs, 0), 'instance still locked').toBeNull();

      clock.advance(lockTimeoutMs + 1);
      const next = await mustFetchOrchestration(provider, lockTimeoutMs);
      expect(next.item.instance).toBe(instance);
      expect(next.item.messages, 'StartOrchestration + 3 completions').toHaveLength(4);
      expect(next.item.messages[0]?.kind).toBe('StartOrchestration');
      expect(completionIds(next)).toEqual([1, 2, 3]);
    }));

  it('test_cross_instance_lock_isolation', () =>
    withProvider(options, async ({ provider }) => {
      const a = uniqueId('lock-isolation-a');
      const b = uniqueId('lock-isolation-b');
      await createInstance(provider, a, LONG_LOCK_MS);
      await createInstance(provider, b, LONG_LOCK_MS);
      await provider.enqueueForOrchestrator(startItem(a));
      await provider.enqueueForOrchestrator(startItem(b));

      const itemA = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(itemA.item.instance).toBe(a);
      const itemB = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(itemB.item.instance, 'a lock on A does not block B').toBe(b);
      await provider.ackOrchestrationItem(
        itemB.lockToken,
        emptyAck(1, { metadata: { orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' } }),
      );

      await provider.enqueueForOrchestrator(activityCompleted(b, 1, 'done'));
      const itemB2 = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(itemB2.item.instance, 'B is fetchable again while A is still held').toBe(b);
      expect(completionIds(itemB2)).toEqual([1]);
    }));

  it('test_message_tagging_during_lock', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('lock-tagging');
      await createInstance(provider, instance, LONG_LOCK_MS);
      await provider.enqueueForOrchestrator(activityCompleted(instance, 1, 'msg1'));
      await provider.enqueueForOrchestrator(activityCompleted(instance, 2, 'msg2'));
      const first = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(first.item.instance).toBe(instance);
      expect(completionIds(first)).toEqual([1, 2]);

      await provider.enqueueForOrchestrator(activityCompleted(instance, 3, 'msg3'));
      await provider.ackOrchestrationItem(first.lockToken, emptyAck());

      const second = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(second.item.instance).toBe(instance);
      expect(second.item.messages, 'only the message that arrived mid-turn is left').toHaveLength(1);
      expect(completionIds(second)).toEqual([3]);
    }));

  it('test_ack_only_affects_locked_messages', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('lock-ack-tagged');
      await createInstance(provider, instance, LONG_LOCK_MS);
      await provider.enqueueForOrchestrator(activityCompleted(instance, 1, 'msg1'));
      const first = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(completionIds(first)).toEqual([1]);

      await provider.enqueueForOrchestrator(activityCompleted(instance, 2, 'msg2'));
      await provider.enqueueForOrchestrator(activityCompleted(instance, 3, 'msg3'));
      expect(await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0), 'instance still locked').toBeNull();
      await provider.ackOrchestrationItem(first.lockToken, emptyAck());

      const second = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      expect(second.item.instance).toBe(instance);
      expect(second.item.messages).toHaveLength(2);
      expect(completionIds(second)).toEqual([2, 3]);
    }));

  it('test_multi_threaded_lock_contention', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('lock-contention');
      await provider.enqueueForOrchestrator(startItem(instance));
      const results = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          await stagger(i * 5);
          return fetchRetryingBusy(provider);
        }),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners, 'exactly one contender acquires the instance').toHaveLength(1);
      expect(winners[0]?.item.instance).toBe(instance);
      expect(await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0), 'instance still locked').toBeNull();
    }));

  it('test_multi_threaded_no_duplicate_processing', () =>
    withProvider(options, async ({ provider }) => {
      const instances = Array.from({ length: 20 }, (_, i) => uniqueId(`lock-dup-${i}`));
      for (const instance of instances) await provider.enqueueForOrchestrator(startItem(instance));
      const fetchWithRetries = async (i: number): Promise<string | null> => {
        await stagger((i * 3) % 50);
        for (let attempt = 0; ; attempt++) {
          try {
            const fetched = await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0);
            return fetched?.item.instance ?? null;
          } catch (error) {
            if ((error as { retryable?: unknown }).retryable !== true || attempt >= 2) throw error;
            await stagger(10 * (attempt + 1));
          }
        }
      };
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => fetchWithRetries(i)));
      const fetched = results.filter((r): r is string => r !== null);
      expect(new Set(fetched).size, 'no instance is fetched twice').toBe(fetched.length);
      expect(fetched.length).toBeLessThanOrEqual(20);
      for (const instance of fetched) expect(instances).toContain(instance);
    }));

  it('test_multi_threaded_lock_expiration_recovery', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const instance = uniqueId('lock-expiry-recovery');
      await provider.enqueueForOrchestrator(startItem(instance));
      // Signals stand in for duroxide's barrier and sleeps: hold → probe while held → expire → recover.
      const held = new Signal();
      const probed = new Signal();
      const recovered = new Signal();
      const holder = (async () => {
        try {
          const fetched = await mustFetchOrchestration(provider, lockTimeoutMs);
          expect(fetched.item.instance).toBe(instance);
          return fetched.lockToken;
        } finally {
          held.fire();
        }
      })().then(async (token) => {
        // The holder "sits" on its lock (like a crashed worker) until the recovery fetch is done.
        await recovered.fired;
        return token;
      });
      const prober = (async () => {
        await held.fired;
        try {
          return await provider.fetchOrchestrationItem(lockTimeoutMs, 0);
        } finally {
          probed.fire();
        }
      })();
      const recoverer = (async () => {
        await probed.fired;
        try {
          clock.advance(lockTimeoutMs + 1);
          return await provider.fetchOrchestrationItem(lockTimeoutMs, 0);
        } finally {
          recovered.fire();
        }
      })();

      const [holderToken, probe, recovery] = await Promise.all([holder, prober, recoverer]);
      expect(probe, 'a fetch while the lock is held gets nothing').toBeNull();
      expect(recovery, 'a fetch after expiry recovers the instance').not.toBeNull();
      expect(recovery?.item.instance).toBe(instance);
      expect(recovery?.lockToken).not.toBe(holderToken);
    }));
};
