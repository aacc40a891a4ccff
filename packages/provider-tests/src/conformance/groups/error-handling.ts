import { expect, it } from 'vitest';
import { emptyAck, event, startedEvent, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { uniqueId, withProvider } from '../harness.js';
import {
  expectPermanent,
  expectRejection,
  fetchWork,
  LONG_LOCK_MS,
  mustFetchOrchestration,
} from '../helpers-a.js';

/** duroxide validation group `error_handling` (reference provider-contract §3.2): bad calls fail cleanly. */
export const errorHandlingGroup: ConformanceGroup = (options) => {
  it('test_invalid_lock_token_on_ack', () =>
    withProvider(options, async ({ provider }) => {
      const error = await expectRejection(
        provider.ackOrchestrationItem('invalid-token', emptyAck()),
        'ack with an unknown token',
      );
      // duroxide matches "Invalid lock token" or "lock_token"; the TypeScript spelling may differ in case.
      expect(error.message).toMatch(/invalid lock token|lock_token|lockToken/i);
      expectPermanent(error, 'ack with an unknown token');
    }));

  it('test_duplicate_event_id_rejection', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('error-duplicate');
      await provider.enqueueForOrchestrator(startItem(instance));
      const first = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      await provider.ackOrchestrationItem(
        first.lockToken,
        emptyAck(1, { historyDelta: [startedEvent(instance)] }),
      );

      await provider.enqueueForOrchestrator(startItem(instance));
      const second = await mustFetchOrchestration(provider, LONG_LOCK_MS);
      const duplicate = event(instance, 1, 1, { kind: 'ActivityScheduled', name: 'Activity', input: '{}' });
      await expectRejection(
        provider.ackOrchestrationItem(second.lockToken, emptyAck(1, { historyDelta: [duplicate] })),
        'ack appending a duplicate event id',
      );

      const history = await provider.read(instance);
      expect(history).toHaveLength(1);
      expect(history[0]?.kind).toBe('OrchestrationStarted');
    }));

  it('test_missing_instance_metadata', () =>
    withProvider(options, async ({ provider }) => {
      expect(await provider.read(uniqueId('non-existent-instance'))).toEqual([]);
      expect(await provider.readWithExecution(uniqueId('non-existent-instance'), 1)).toEqual([]);
    }));

  it('test_corrupted_serialization_data', () =>
    withProvider(options, async ({ provider }) => {
      // duroxide only checks that a fetch on an empty store does not crash; an empty store has no work.
      expect(await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0)).toBeNull();
      expect(await fetchWork(provider)).toBeNull();
    }));

  it('test_lock_expiration_during_ack', () =>
    withProvider(options, async ({ provider, clock, lockTimeoutMs }) => {
      const instance = uniqueId('error-expired');
      await provider.enqueueForOrchestrator(startItem(instance));
      const { lockToken } = await mustFetchOrchestration(provider, lockTimeoutMs);
      clock.advance(lockTimeoutMs + 1);
      await expectRejection(
        provider.ackOrchestrationItem(lockToken, emptyAck(1, { historyDelta: [startedEvent(instance)] })),
        'ack after the lock expired',
      );
      expect(await provider.read(instance), 'a rejected ack persists nothing').toEqual([]);
    }));
};
