import type { FetchedOrchestrationItem, FetchedWorkItem, Provider, TagFilter } from '@duroxide/core';
import { describe, expect, it } from 'vitest';
import { activityItem, createInstance, emptyAck, startedEvent, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { withProvider } from '../harness.js';
import { completionFor, mustFetchOrch, pokeItem, realDelay, TestScope, timed } from '../helpers-b.js';
import type { ProviderUnderTest } from '../options.js';

/** The poll timeout duroxide's long-polling tests pass. */
const POLL_MS = 500;
/** How far past its poll timeout any fetch may return (duroxide's tolerance). */
const UPPER_TOLERANCE_MS = 200;
/** Timer granularity slack for the lower bound of a long poll. */
const LOWER_SLACK_MS = 10;
/** How soon a waiting long-poll fetch must return after work appears ("~100 ms", with headroom for a loaded CI box). */
const WAKE_MS = 150;
/** Poll timeout of the wake-up tests; long enough that waking early is unmistakable. */
const WAIT_MS = 3000;
/** Real time given to a fetch to start waiting before the test makes work appear. */
const SETTLE_MS = 30;

/** A tag no other test uses, so "the worker queue is empty" holds even on a shared store. */
function privateTag(s: TestScope): TagFilter {
  return { tags: [s.id('longpoll-tag')] };
}

function fetchOrchEmpty(provider: Provider, pollTimeoutMs: number) {
  return timed(() => provider.fetchOrchestrationItem(30_000, pollTimeoutMs));
}

function fetchWorkEmpty(provider: Provider, pollTimeoutMs: number, filter: TagFilter) {
  return timed(() => provider.fetchWorkItem(30_000, pollTimeoutMs, null, filter));
}

const EMPTY_STORE =
  'the orchestrator queue must be empty for this test (run the long_polling group on a fresh store)';

/** duroxide validation group `long_polling` (reference provider-contract §3.2), plus `longpoll_` extras. */
export const longPollingGroup: ConformanceGroup = (options) => {
  const threshold = options.shortPollThresholdMs;

  // Short-poll providers ignore the poll timeout; long-poll providers must not wait when it is 0.
  it('test_short_poll_returns_immediately', () =>
    withProvider(options, async ({ provider }) => {
      const poll = provider.capabilities.longPolling ? 0 : POLL_MS;
      const { result, elapsedMs } = await fetchOrchEmpty(provider, poll);
      expect(result, EMPTY_STORE).toBeNull();
      expect(elapsedMs, `empty fetch (pollTimeoutMs ${poll}) must return under ${threshold} ms`).toBeLessThan(
        threshold,
      );
    }));

  it('test_long_poll_waits_for_timeout', () =>
    withProvider(options, async ({ provider }) => {
      const { result, elapsedMs } = await fetchOrchEmpty(provider, POLL_MS);
      expect(result, EMPTY_STORE).toBeNull();
      if (provider.capabilities.longPolling) {
        expect(elapsedMs, 'a long-poll fetch waits out its poll timeout').toBeGreaterThanOrEqual(
          POLL_MS - LOWER_SLACK_MS,
        );
        expect(elapsedMs).toBeLessThan(POLL_MS + UPPER_TOLERANCE_MS);
      } else {
        expect(elapsedMs, 'a short-poll provider returns at once').toBeLessThan(threshold);
      }
    }));

  it('test_fetch_respects_timeout_upper_bound', () =>
    withProvider(options, async ({ provider }) => {
      const poll = 300;
      const { result, elapsedMs } = await fetchOrchEmpty(provider, poll);
      expect(result, EMPTY_STORE).toBeNull();
      expect(elapsedMs, 'no fetch blocks past its poll timeout').toBeLessThan(poll + UPPER_TOLERANCE_MS);
    }));

  it('test_short_poll_work_item_returns_immediately', () =>
    withProvider(options, async ({ provider }) => {
      const poll = provider.capabilities.longPolling ? 0 : POLL_MS;
      const { result, elapsedMs } = await fetchWorkEmpty(
        provider,
        poll,
        privateTag(new TestScope('short-poll')),
      );
      expect(result).toBeNull();
      expect(elapsedMs, `empty fetch (pollTimeoutMs ${poll}) must return under ${threshold} ms`).toBeLessThan(
        threshold,
      );
    }));

  it('test_long_poll_work_item_waits_for_timeout', () =>
    withProvider(options, async ({ provider }) => {
      const { result, elapsedMs } = await fetchWorkEmpty(
        provider,
        POLL_MS,
        privateTag(new TestScope('long-poll')),
      );
      expect(result).toBeNull();
      if (provider.capabilities.longPolling) {
        expect(elapsedMs, 'a long-poll fetch waits out its poll timeout').toBeGreaterThanOrEqual(
          POLL_MS - LOWER_SLACK_MS,
        );
        expect(elapsedMs).toBeLessThan(POLL_MS + UPPER_TOLERANCE_MS);
      } else {
        expect(elapsedMs, 'a short-poll provider returns at once').toBeLessThan(threshold);
      }
    }));

  describe('long-poll extras (not in duroxide)', () => {
    registerLongPollExtras(options);
  });
};

/**
 * Starts a waiting fetch, makes work appear with `trigger`, and checks the fetch returned soon after.
 * For short-poll providers the fetch must instead return at once, empty, and the work be fetchable after.
 */
async function expectWake<T extends FetchedOrchestrationItem | FetchedWorkItem>(
  provider: Provider,
  threshold: number,
  fetch: (pollTimeoutMs: number) => Promise<T | null>,
  trigger: () => Promise<void>,
): Promise<T> {
  if (!provider.capabilities.longPolling) {
    const { result, elapsedMs } = await timed(() => fetch(WAIT_MS));
    expect(result, 'nothing to fetch yet').toBeNull();
    expect(elapsedMs, 'a short-poll provider ignores the poll timeout').toBeLessThan(threshold);
    await trigger();
    const after = await fetch(0);
    expect(after, 'the work is fetchable right away').not.toBeNull();
    return after as T;
  }
  const started = performance.now();
  let settledAt = 0;
  const waiting = fetch(WAIT_MS).then((r) => {
    settledAt = performance.now();
    return r;
  });
  await realDelay(SETTLE_MS);
  expect(settledAt, 'the fetch must wait while there is no work').toBe(0);
  const triggeredAt = performance.now();
  await trigger();
  const result = await waiting;
  expect(
    result,
    `the waiting fetch returns the new work (waited ${Math.round(settledAt - started)} ms)`,
  ).not.toBeNull();
  expect(settledAt - triggeredAt, `a waiting fetch must wake within ${WAKE_MS} ms`).toBeLessThan(WAKE_MS);
  return result as T;
}

/** Long-poll checks beyond duroxide's five, registered from a table so they count apart from duroxide's tests. */
function registerLongPollExtras(options: Parameters<ConformanceGroup>[0]): void {
  const threshold = options.shortPollThresholdMs;
  const extras: [name: string, body: (t: ProviderUnderTest) => Promise<void>][] = [
    [
      'longpoll_wakes_on_enqueue',
      async ({ provider }) => {
        const s = new TestScope('wake-enqueue');
        const a = s.id('orch');
        const orch = await expectWake(
          provider,
          threshold,
          (poll) => provider.fetchOrchestrationItem(30_000, poll),
          () => provider.enqueueForOrchestrator(startItem(a)),
        );
        expect(orch.item.instance).toBe(a);
        const filter = privateTag(s);
        const work = await expectWake(
          provider,
          threshold,
          (poll) => provider.fetchWorkItem(30_000, poll, null, filter),
          () => provider.enqueueForWorker(activityItem(a, 1, { tag: s.id('longpoll-tag') })),
        );
        expect(work.item.instance).toBe(a);
      },
    ],

    [
      'longpoll_wakes_on_clock_advance',
      async ({ provider, clock }) => {
        const s = new TestScope('wake-clock');
        const a = s.id('orch');
        await provider.enqueueForOrchestrator(pokeItem(a), 10_000);
        await provider.enqueueForOrchestrator(startItem(a), 10_000);
        const orch = await expectWake(
          provider,
          threshold,
          (poll) => provider.fetchOrchestrationItem(30_000, poll),
          async () => clock.advance(10_000),
        );
        expect(orch.item.instance).toBe(a);
        expect(orch.item.messages).toHaveLength(2);
      },
    ],

    [
      'longpoll_wakes_on_orchestration_ack',
      async ({ provider }) => {
        const s = new TestScope('wake-orch-ack');
        const a = s.id('orch');
        const tag = s.id('longpoll-tag');
        await provider.enqueueForOrchestrator(startItem(a));
        const turn = await mustFetchOrch(provider, s.owns, 30_000);
        const work = await expectWake(
          provider,
          threshold,
          (poll) => provider.fetchWorkItem(30_000, poll, null, { tags: [tag] }),
          () =>
            provider.ackOrchestrationItem(
              turn.lockToken,
              emptyAck(1, { historyDelta: [startedEvent(a)], workerItems: [activityItem(a, 2, { tag })] }),
            ),
        );
        expect(work.item.id, 'the activity scheduled by the ack').toBe(2);
      },
    ],

    [
      'longpoll_wakes_on_work_item_ack',
      async ({ provider }) => {
        const s = new TestScope('wake-work-ack');
        const a = s.id('orch');
        // The completion needs an existing instance, or the fetch has no orchestration to deliver it to.
        await createInstance(provider, a, 30_000);
        const activity = activityItem(a, 1);
        await provider.enqueueForWorker(activity);
        const work = await provider.fetchWorkItem(30_000, 0, null, 'defaultOnly');
        expect(work?.item.instance, 'the test needs its own activity first in the worker queue').toBe(a);
        const orch = await expectWake(
          provider,
          threshold,
          (poll) => provider.fetchOrchestrationItem(30_000, poll),
          () => provider.ackWorkItem(work!.lockToken, completionFor(activity)),
        );
        expect(orch.item.messages.map((m) => m.kind)).toEqual(['ActivityCompleted']);
      },
    ],
    [
      'longpoll_wait_for_instance_change',
      async ({ provider }) => {
        const a = new TestScope('wait-change').id('orch');
        const idle = await timed(() => provider.waitForInstanceChange(a, 300));
        expect(idle.elapsedMs, 'no change: resolves by the timeout').toBeLessThan(300 + UPPER_TOLERANCE_MS);
        // Only a turn ack must end the wait (what clients read changes then); enqueues and activity
        // completions may, so the start is enqueued and fetched before the wait begins.
        await provider.enqueueForOrchestrator(startItem(a));
        const turn = await mustFetchOrch(provider, (i) => i === a, 30_000);
        const waiting = timed(() => provider.waitForInstanceChange(a, WAIT_MS));
        await realDelay(SETTLE_MS);
        await provider.ackOrchestrationItem(turn.lockToken, emptyAck(1, { historyDelta: [startedEvent(a)] }));
        const woken = await waiting;
        expect(woken.elapsedMs, 'a turn committed for the instance ends the wait early').toBeLessThan(
          WAIT_MS,
        );
      },
    ],
    [
      'longpoll_abort_signal_ends_wait',
      async ({ provider }) => {
        const s = new TestScope('abort');
        const filter = privateTag(s);
        const controller = new AbortController();
        const orch = timed(() =>
          provider.fetchOrchestrationItem(30_000, WAIT_MS, null, { signal: controller.signal }),
        );
        const work = timed(() =>
          provider.fetchWorkItem(30_000, WAIT_MS, null, filter, { signal: controller.signal }),
        );
        await realDelay(SETTLE_MS);
        controller.abort();
        for (const waited of [await orch, await work]) {
          expect(waited.result, 'an aborted fetch returns no work').toBeNull();
          expect(waited.elapsedMs, `an abort ends the wait within ${WAKE_MS} ms`).toBeLessThan(
            SETTLE_MS + WAKE_MS,
          );
        }
        const already = await timed(() =>
          provider.fetchWorkItem(30_000, WAIT_MS, null, filter, { signal: controller.signal }),
        );
        expect(already.result).toBeNull();
        expect(already.elapsedMs, 'an already-aborted signal returns at once').toBeLessThan(WAKE_MS);
        const a = s.id('orch');
        await provider.enqueueForOrchestrator(startItem(a));
        const after = await provider.fetchOrchestrationItem(30_000, 0);
        expect(after?.item.instance, 'the abort locked nothing: later work is fetchable').toBe(a);
      },
    ],
  ];
  for (const [name, body] of extras) it(name, () => withProvider(options, body));
}
