import type { Event, Provider } from '@duroxide/core';
import { expect, it } from 'vitest';
import { createInstance, emptyAck, event, fetchInstance } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { uniqueId, withProvider } from '../harness.js';
import { externalRaised, LONG_LOCK_MS } from '../helpers-a.js';

/** A `CustomStatusUpdated` event (`null` clears the status). */
function statusEvent(instance: string, eventId: number, status: string | null): Event {
  return event(instance, 1, eventId, { kind: 'CustomStatusUpdated', status });
}

/** Pokes the instance, fetches its turn and acks it with `delta` and no metadata. */
async function ackTurn(provider: Provider, instance: string, delta: Event[]): Promise<void> {
  await provider.enqueueForOrchestrator(externalRaised(instance, 'poke'));
  const fetched = await fetchInstance(provider, instance, LONG_LOCK_MS);
  await provider.ackOrchestrationItem(fetched.lockToken, emptyAck(1, { historyDelta: delta }));
}

/** duroxide validation group `custom_status` (reference provider-contract §3.2): versioned custom status. */
export const customStatusGroup: ConformanceGroup = (options) => {
  it('test_custom_status_set', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cs-set');
      await createInstance(provider, instance, LONG_LOCK_MS);
      await ackTurn(provider, instance, [statusEvent(instance, 100, 'progress')]);
      expect(await provider.getCustomStatus(instance, 0)).toEqual({ customStatus: 'progress', version: 1 });
    }));

  it('test_custom_status_clear', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cs-clear');
      await createInstance(provider, instance, LONG_LOCK_MS);
      await ackTurn(provider, instance, [statusEvent(instance, 100, 'temp')]);
      expect((await provider.getCustomStatus(instance, 0))?.customStatus).toBe('temp');
      await ackTurn(provider, instance, [statusEvent(instance, 101, null)]);
      expect(
        await provider.getCustomStatus(instance, 0),
        'clearing sets null and still bumps the version',
      ).toEqual({ customStatus: null, version: 2 });
    }));

  it('test_custom_status_none_preserves', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cs-noop');
      await createInstance(provider, instance, LONG_LOCK_MS);
      await ackTurn(provider, instance, [statusEvent(instance, 100, 'keep-me')]);
      await ackTurn(provider, instance, []);
      // A delta with other events but no CustomStatusUpdated leaves it alone too.
      await ackTurn(provider, instance, [
        event(instance, 1, 101, { kind: 'ExternalEvent', name: 'poke', data: '{}' }),
      ]);
      expect(await provider.getCustomStatus(instance, 0)).toEqual({ customStatus: 'keep-me', version: 1 });
    }));

  it('test_custom_status_version_increments', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cs-ver');
      await createInstance(provider, instance, LONG_LOCK_MS);
      await ackTurn(provider, instance, [statusEvent(instance, 100, 'a')]);
      expect(await provider.getCustomStatus(instance, 0)).toEqual({ customStatus: 'a', version: 1 });
      await ackTurn(provider, instance, [statusEvent(instance, 101, 'b')]);
      expect(await provider.getCustomStatus(instance, 0)).toEqual({ customStatus: 'b', version: 2 });
      await ackTurn(provider, instance, [statusEvent(instance, 102, null)]);
      expect(await provider.getCustomStatus(instance, 0)).toEqual({ customStatus: null, version: 3 });
    }));

  it('test_custom_status_polling_no_change', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cs-poll');
      await createInstance(provider, instance, LONG_LOCK_MS);
      await ackTurn(provider, instance, [statusEvent(instance, 100, 'v1')]);
      expect(await provider.getCustomStatus(instance, 1), 'no change since version 1').toBeNull();
      expect(await provider.getCustomStatus(instance, 0), 'version 1 > 0').toEqual({
        customStatus: 'v1',
        version: 1,
      });
    }));

  it('test_custom_status_nonexistent_instance', () =>
    withProvider(options, async ({ provider }) => {
      expect(await provider.getCustomStatus(uniqueId('does-not-exist'), 0)).toBeNull();
    }));

  it('test_custom_status_default_on_new_instance', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cs-default');
      await createInstance(provider, instance, LONG_LOCK_MS);
      expect(await provider.getCustomStatus(instance, 0), 'a fresh instance has version 0').toBeNull();
    }));
};
