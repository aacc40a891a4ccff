import type { Provider } from '@duroxide/core';
import { displayMessage } from '@duroxide/core';
import { expect, it } from 'vitest';
import { emptyAck, event, startedEvent, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { uniqueId, withProvider } from '../harness.js';
import {
  externalRaised,
  filterForRange,
  LONG_LOCK_MS,
  mustFetchOrchestration,
  requireHook,
  requireManagement,
  seedInstanceWithVersion,
  withSecondProvider,
} from '../helpers-a.js';

const METADATA = { orchestrationName: 'TestOrch', orchestrationVersion: '1.0.0' } as const;

/** Starts `instance` and acks its first turn without a pinned version (pre-capability data). */
async function seedWithoutPinnedVersion(
  provider: Provider,
  instance: string,
  eventVersion: string,
): Promise<void> {
  await provider.enqueueForOrchestrator(startItem(instance));
  const fetched = await mustFetchOrchestration(provider, LONG_LOCK_MS);
  const started = startedEvent(instance);
  started.duroxideVersion = eventVersion;
  await provider.ackOrchestrationItem(
    fetched.lockToken,
    emptyAck(1, { historyDelta: [started], metadata: METADATA }),
  );
}

/** duroxide validation group `capability_filtering` (reference provider-contract §3.2): pinned-version filters. */
export const capabilityFilteringGroup: ConformanceGroup = (options) => {
  /** Fetches the corrupted instance repeatedly, abandoning each time without undoing the attempt. */
  async function fetchCorruptCycles(provider: Provider, instance: string, cycles: number): Promise<void> {
    for (let i = 1; i <= cycles; i++) {
      const fetched = await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0);
      expect(fetched, `fetch #${i} returns the corrupted instance`).not.toBeNull();
      expect(fetched?.item.instance).toBe(instance);
      expect(fetched?.item.historyError, `fetch #${i} reports history_error`).toBeTruthy();
      expect(fetched?.item.history).toEqual([]);
      await provider.abandonOrchestrationItem(fetched!.lockToken, { ignoreAttempt: false });
    }
  }

  it('test_fetch_with_filter_none_returns_any_item', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cap-none');
      await seedInstanceWithVersion(provider, instance, '1.2.3');
      const fetched = await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, null);
      expect(fetched?.item.instance, 'no filter returns any item').toBe(instance);
    }));

  it('test_fetch_with_compatible_filter_returns_item', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cap-compatible');
      await seedInstanceWithVersion(provider, instance, '1.2.3');
      const fetched = await provider.fetchOrchestrationItem(
        LONG_LOCK_MS,
        0,
        filterForRange('1.0.0', '1.9.9'),
      );
      expect(fetched?.item.instance).toBe(instance);
    }));

  it('test_fetch_with_incompatible_filter_skips_item', () =>
    withProvider(options, async ({ provider }) => {
      await seedInstanceWithVersion(provider, uniqueId('cap-incompatible'), '1.2.3');
      expect(
        await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filterForRange('2.0.0', '2.9.9')),
      ).toBeNull();
    }));

  it('test_fetch_filter_skips_incompatible_selects_compatible', () =>
    withProvider(options, async ({ provider }) => {
      const v1 = uniqueId('cap-inst-v1');
      const v2 = uniqueId('cap-inst-v2');
      await seedInstanceWithVersion(provider, v1, '1.0.0');
      await seedInstanceWithVersion(provider, v2, '2.0.0');
      const second = await mustFetchOrchestration(provider, LONG_LOCK_MS, filterForRange('2.0.0', '2.9.9'));
      expect(second.item.instance).toBe(v2);
      await provider.abandonOrchestrationItem(second.lockToken, { ignoreAttempt: true });
      const first = await mustFetchOrchestration(provider, LONG_LOCK_MS, filterForRange('1.0.0', '1.9.9'));
      expect(first.item.instance).toBe(v1);
    }));

  it('test_fetch_filter_does_not_lock_skipped_instances', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cap-no-lock');
      await seedInstanceWithVersion(provider, instance, '1.0.0');
      expect(
        await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filterForRange('2.0.0', '2.9.9')),
      ).toBeNull();
      const fetched = await provider.fetchOrchestrationItem(
        LONG_LOCK_MS,
        0,
        filterForRange('0.0.0', '1.9.9'),
      );
      expect(fetched?.item.instance, 'the excluding fetch must not have locked the instance').toBe(instance);
      expect(fetched?.attemptCount, 'the excluding fetch must not have counted an attempt').toBe(1);
    }));

  it('test_fetch_filter_null_pinned_version_always_compatible', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cap-null');
      await seedWithoutPinnedVersion(provider, instance, '0.0.0');
      await provider.enqueueForOrchestrator(externalRaised(instance, 'ping'));
      const fetched = await provider.fetchOrchestrationItem(
        LONG_LOCK_MS,
        0,
        filterForRange('99.0.0', '99.9.9'),
      );
      expect(fetched?.item.instance, 'a NULL pinned version matches any filter').toBe(instance);
    }));

  it('test_fetch_filter_boundary_versions', () =>
    withProvider(options, async ({ provider, clock }) => {
      const filter = filterForRange('1.0.0', '1.9.99');
      const low = uniqueId('cap-v1-low');
      await seedInstanceWithVersion(provider, low, '1.0.0');
      const lowFetch = await mustFetchOrchestration(provider, LONG_LOCK_MS, filter);
      expect(lowFetch.item.instance, '1.0.0 is inside [1.0.0, 1.9.99]').toBe(low);
      await provider.abandonOrchestrationItem(lowFetch.lockToken, { ignoreAttempt: true });

      const high = uniqueId('cap-v1-high');
      await seedInstanceWithVersion(provider, high, '1.9.99');
      const highFetch = await mustFetchOrchestration(provider, LONG_LOCK_MS, filter);
      const alsoHigh = await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filter);
      expect(
        new Set([highFetch.item.instance, alsoHigh?.item.instance]),
        '1.9.99 is inside [1.0.0, 1.9.99]',
      ).toEqual(new Set([low, high]));

      // A separate store keeps the v1 instances above from masking the exclusion.
      await withSecondProvider(options, clock, async (second) => {
        const exact = uniqueId('cap-v2-exact');
        await seedInstanceWithVersion(second, exact, '2.0.0');
        expect(await second.fetchOrchestrationItem(LONG_LOCK_MS, 0, filter), '2.0.0 is outside').toBeNull();
        const unfiltered = await second.fetchOrchestrationItem(LONG_LOCK_MS, 0, null);
        expect(unfiltered?.item.instance, '2.0.0 is fetchable without a filter').toBe(exact);
      });
    }));

  it('test_pinned_version_stored_via_ack_metadata', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cap-stored');
      await seedInstanceWithVersion(provider, instance, '3.1.4');
      const fetched = await provider.fetchOrchestrationItem(
        LONG_LOCK_MS,
        0,
        filterForRange('3.0.0', '3.9.9'),
      );
      expect(fetched?.item.instance, 'the version from ack metadata is filterable').toBe(instance);
    }));

  it('test_pinned_version_immutable_across_ack_cycles', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cap-immutable');
      await seedInstanceWithVersion(provider, instance, '1.0.0');
      const filter = filterForRange('0.0.0', '1.9.9');
      const turn = await mustFetchOrchestration(provider, LONG_LOCK_MS, filter);
      expect(turn.item.instance).toBe(instance);
      await provider.ackOrchestrationItem(turn.lockToken, emptyAck(1, { metadata: METADATA }));
      await provider.enqueueForOrchestrator(externalRaised(instance, 'ping2'));
      const again = await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filter);
      expect(again?.item.instance, 'an ack without a pinned version keeps the stored one').toBe(instance);
      await provider.abandonOrchestrationItem(again!.lockToken, { ignoreAttempt: true });
      expect(
        await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filterForRange('2.0.0', '2.9.9')),
      ).toBeNull();
    }));

  it('test_continue_as_new_execution_gets_own_pinned_version', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cap-can');
      await seedInstanceWithVersion(provider, instance, '1.0.0');
      const turn = await mustFetchOrchestration(provider, LONG_LOCK_MS, filterForRange('0.0.0', '1.9.9'));
      await provider.ackOrchestrationItem(
        turn.lockToken,
        emptyAck(1, {
          historyDelta: [event(instance, 1, 2, { kind: 'OrchestrationContinuedAsNew', input: '{}' })],
          orchestratorItems: [
            {
              kind: 'ContinueAsNew',
              instance,
              orchestration: 'TestOrch',
              input: '{}',
              version: '1.0.0',
              carryForwardEvents: [],
            },
          ],
          metadata: { ...METADATA, status: 'ContinuedAsNew' },
        }),
      );

      const canTurn = await mustFetchOrchestration(provider, LONG_LOCK_MS, null);
      expect(canTurn.item.messages[0]?.kind).toBe('ContinueAsNew');
      const started = startedEvent(instance, 2);
      started.duroxideVersion = '2.0.0';
      await provider.ackOrchestrationItem(
        canTurn.lockToken,
        emptyAck(2, { historyDelta: [started], metadata: { ...METADATA, pinnedDuroxideVersion: '2.0.0' } }),
      );

      await provider.enqueueForOrchestrator(externalRaised(instance, 'ping'));
      const v2 = await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filterForRange('2.0.0', '2.9.9'));
      expect(v2?.item.instance, 'execution 2 matches its own pinned version').toBe(instance);
      expect(v2?.item.executionId).toBe(2);
      await provider.abandonOrchestrationItem(v2!.lockToken, { ignoreAttempt: true });
      expect(
        await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filterForRange('1.0.0', '1.9.9')),
        'execution 2 does not inherit 1.0.0',
      ).toBeNull();
    }));

  it('test_filter_with_empty_supported_versions_returns_nothing', () =>
    withProvider(options, async ({ provider }) => {
      await seedInstanceWithVersion(provider, uniqueId('cap-empty'), '1.0.0');
      expect(
        await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, { supportedDuroxideVersions: [] }),
      ).toBeNull();
    }));

  it('test_concurrent_filtered_fetch_no_double_lock', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cap-double-lock');
      await seedInstanceWithVersion(provider, instance, '1.0.0');
      const filter = filterForRange('0.0.0', '1.9.9');
      const first = await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filter);
      expect(first?.item.instance).toBe(instance);
      expect(await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filter), 'instance locked').toBeNull();
    }));

  it('test_ack_stores_pinned_version_via_metadata_update', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cap-backfill');
      await seedWithoutPinnedVersion(provider, instance, '1.2.3');
      await provider.enqueueForOrchestrator(externalRaised(instance, 'ping'));
      const turn = await mustFetchOrchestration(provider, LONG_LOCK_MS, null);
      await provider.ackOrchestrationItem(
        turn.lockToken,
        emptyAck(1, { metadata: { ...METADATA, pinnedDuroxideVersion: '1.2.3' } }),
      );
      await provider.enqueueForOrchestrator(externalRaised(instance, 'ping2'));
      expect(
        await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filterForRange('2.0.0', '2.9.9')),
        'the backfilled version is no longer NULL (always compatible)',
      ).toBeNull();
      const fetched = await provider.fetchOrchestrationItem(
        LONG_LOCK_MS,
        0,
        filterForRange('1.0.0', '1.9.9'),
      );
      expect(fetched?.item.instance, 'the backfilled version is filterable').toBe(instance);
    }));

  it('test_provider_updates_pinned_version_when_told', () =>
    withProvider(options, async ({ provider }) => {
      const instance = uniqueId('cap-update');
      await seedInstanceWithVersion(provider, instance, '1.0.0');
      const turn = await mustFetchOrchestration(provider, LONG_LOCK_MS, filterForRange('0.0.0', '1.9.9'));
      await provider.ackOrchestrationItem(
        turn.lockToken,
        emptyAck(1, { metadata: { ...METADATA, pinnedDuroxideVersion: '2.0.0' } }),
      );
      await provider.enqueueForOrchestrator(externalRaised(instance, 'ping2'));
      const v2 = await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filterForRange('2.0.0', '2.0.0'));
      expect(v2?.item.instance, 'the provider stored the new pinned version').toBe(instance);
      await provider.abandonOrchestrationItem(v2!.lockToken, { ignoreAttempt: true });
      expect(
        await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filterForRange('1.0.0', '1.0.0')),
      ).toBeNull();
    }));

  it('test_fetch_corrupted_history_filtered_vs_unfiltered', () =>
    withProvider(options, async ({ provider }) => {
      const corrupt = requireHook(options, 'corruptInstanceHistory');
      const instance = uniqueId('cap-corrupt');
      await seedInstanceWithVersion(provider, instance, '1.0.0');
      await corrupt(provider, instance);
      expect(
        await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filterForRange('2.0.0', '2.9.9')),
        'an excluded corrupted instance is skipped without error',
      ).toBeNull();
      const fetched = await mustFetchOrchestration(provider, LONG_LOCK_MS, null);
      expect(fetched.item.instance).toBe(instance);
      expect(fetched.item.historyError, 'corrupted history sets historyError').toBeTruthy();
      expect(fetched.item.history, 'history is empty when historyError is set').toEqual([]);
      await provider.abandonOrchestrationItem(fetched.lockToken, { ignoreAttempt: true });
    }));

  it('test_fetch_deserialization_error_increments_attempt_count', () =>
    withProvider(options, async ({ provider }) => {
      const corrupt = requireHook(options, 'corruptInstanceHistory');
      const maxAttempts = requireHook(options, 'getMaxAttemptCount');
      const instance = uniqueId('cap-deser');
      await seedInstanceWithVersion(provider, instance, '1.0.0');
      await corrupt(provider, instance);
      await fetchCorruptCycles(provider, instance, 2);
      expect(await maxAttempts(provider, instance)).toBeGreaterThanOrEqual(2);
    }));

  it('test_fetch_deserialization_error_eventually_reaches_poison', () =>
    withProvider(options, async ({ provider }) => {
      const corrupt = requireHook(options, 'corruptInstanceHistory');
      const maxAttempts = requireHook(options, 'getMaxAttemptCount');
      const instance = uniqueId('cap-poison');
      await seedInstanceWithVersion(provider, instance, '1.0.0');
      await corrupt(provider, instance);
      await fetchCorruptCycles(provider, instance, 5);
      expect(await maxAttempts(provider, instance)).toBeGreaterThanOrEqual(5);
    }));

  it('test_fetch_filter_applied_before_history_deserialization', () =>
    withProvider(options, async ({ provider }) => {
      const corrupt = requireHook(options, 'corruptInstanceHistory');
      const instance = uniqueId('cap-order');
      await seedInstanceWithVersion(provider, instance, '99.0.0');
      await corrupt(provider, instance);
      expect(
        await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filterForRange('1.0.0', '2.0.0')),
        'the filter runs before history is read',
      ).toBeNull();
      const fetched = await mustFetchOrchestration(provider, LONG_LOCK_MS, null);
      expect(fetched.item.historyError).toBeTruthy();
      await provider.abandonOrchestrationItem(fetched.lockToken, { ignoreAttempt: true });
    }));

  it('test_fetch_single_range_only_uses_first_range', () =>
    withProvider(options, async ({ provider }) => {
      const a = uniqueId('cap-range-a');
      await seedInstanceWithVersion(provider, a, '1.0.0');
      await seedInstanceWithVersion(provider, uniqueId('cap-range-b'), '3.0.0');
      const filter = {
        supportedDuroxideVersions: [
          { min: '1.0.0', max: '1.5.0' },
          { min: '3.0.0', max: '3.5.0' },
        ],
      };
      const first = await mustFetchOrchestration(provider, LONG_LOCK_MS, filter);
      expect(first.item.instance, 'only the first range is used').toBe(a);
      // With A still locked, B (3.0.0, only in the ignored second range) must not be handed out either.
      expect(
        await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filter),
        'the second range is ignored',
      ).toBeNull();
      await provider.abandonOrchestrationItem(first.lockToken, { ignoreAttempt: true });
      const again = await provider.fetchOrchestrationItem(LONG_LOCK_MS, 0, filter);
      expect(again?.item.instance, 'A is returned again once released').toBe(a);
    }));

  it('test_ack_appends_event_to_corrupted_history', () =>
    withProvider(options, async ({ provider }) => {
      const corrupt = requireHook(options, 'corruptInstanceHistory');
      const admin = requireManagement(provider);
      const instance = uniqueId('cap-ack-corrupt');
      await seedInstanceWithVersion(provider, instance, '1.0.0');
      await corrupt(provider, instance);

      const fetched = await mustFetchOrchestration(provider, LONG_LOCK_MS, null);
      const historyError = fetched.item.historyError;
      expect(historyError, 'corrupted history sets historyError').toBeTruthy();
      expect(fetched.item.history).toEqual([]);
      const details = {
        category: 'poison' as const,
        attemptCount: 4,
        maxAttempts: 3,
        messageType: {
          type: 'FailedDeserialization' as const,
          instance,
          executionId: fetched.item.executionId,
          error: historyError!,
        },
        message: historyError!,
      };
      const output = displayMessage(details);
      // Ack is insert-only: it must never re-read the corrupted rows it appends after.
      await provider.ackOrchestrationItem(
        fetched.lockToken,
        emptyAck(fetched.item.executionId, {
          historyDelta: [
            event(instance, fetched.item.executionId, 99_999, { kind: 'OrchestrationFailed', details }),
          ],
          metadata: {
            status: 'Failed',
            output,
            orchestrationName: fetched.item.orchestrationName,
            orchestrationVersion: fetched.item.version,
          },
        }),
      );

      const info = await admin.getInstanceInfo(instance);
      expect(info.status).toBe('Failed');
      expect(info.output).toBe(output);
      expect(info.output).toContain('deserialization failed');
    }));
};
