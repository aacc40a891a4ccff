import type { FetchedWorkItem, Provider, TagFilter } from '@duroxide/core';
import { expect, it } from 'vitest';
import { activityItem, emptyAck, startedEvent, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { withProvider } from '../harness.js';
import { fetchWork, mustFetchOrch, TestScope } from '../helpers-b.js';

/** What every tag test gets. */
interface TagTest {
  provider: Provider;
  s: TestScope;
  /** Enqueues activity `id` for instance `inst` (local name) with an optional tag. */
  enqueue(inst: string, id: number, tag?: string): Promise<void>;
  /** Fetches this test's next activity with `filter` (lock 30 s). */
  fetch(filter: TagFilter): Promise<FetchedWorkItem | null>;
}

/** duroxide validation group `tag_filtering` (reference provider-contract §3.2). */
export const tagFilteringGroup: ConformanceGroup = (options) => {
  const run = (body: (t: TagTest) => Promise<void>) => () =>
    withProvider(options, async ({ provider }) => {
      const s = new TestScope('tag');
      await body({
        provider,
        s,
        enqueue: (inst, id, tag) =>
          provider.enqueueForWorker(
            activityItem(s.id(inst), id, { name: `Activity${id}`, ...(tag ? { tag } : {}) }),
          ),
        fetch: (filter) => fetchWork(provider, s.owns, { lockTimeoutMs: 30_000, tagFilter: filter }),
      });
    });
  /** The id and tag of a fetched activity, for compact assertions. */
  const idTag = (f: FetchedWorkItem | null) => (f ? { id: f.item.id, tag: f.item.tag ?? null } : null);

  it(
    'test_default_only_fetches_untagged',
    run(async (t) => {
      await t.enqueue('inst-1', 1);
      await t.enqueue('inst-1', 2, 'gpu');
      await t.enqueue('inst-1', 3);
      expect(idTag(await t.fetch('defaultOnly'))).toEqual({ id: 1, tag: null });
      expect(idTag(await t.fetch('defaultOnly'))).toEqual({ id: 3, tag: null });
      expect(await t.fetch('defaultOnly'), 'no more untagged items').toBeNull();
    }),
  );

  it(
    'test_tags_fetches_only_matching',
    run(async (t) => {
      await t.enqueue('inst-1', 1);
      await t.enqueue('inst-1', 2, 'gpu');
      await t.enqueue('inst-1', 3, 'cpu');
      await t.enqueue('inst-1', 4, 'gpu');
      const gpu: TagFilter = { tags: ['gpu'] };
      expect(idTag(await t.fetch(gpu))).toEqual({ id: 2, tag: 'gpu' });
      expect(idTag(await t.fetch(gpu))).toEqual({ id: 4, tag: 'gpu' });
      expect(await t.fetch(gpu), 'no more gpu items').toBeNull();
    }),
  );

  it(
    'test_default_and_fetches_untagged_and_matching',
    run(async (t) => {
      await t.enqueue('inst-1', 1);
      await t.enqueue('inst-1', 2, 'gpu');
      await t.enqueue('inst-1', 3, 'cpu');
      const filter: TagFilter = { defaultAnd: ['gpu'] };
      expect(idTag(await t.fetch(filter))).toEqual({ id: 1, tag: null });
      expect(idTag(await t.fetch(filter))).toEqual({ id: 2, tag: 'gpu' });
      expect(await t.fetch(filter), 'cpu is not in DefaultAnd([gpu])').toBeNull();
    }),
  );

  it(
    'test_none_filter_returns_nothing',
    run(async (t) => {
      await t.enqueue('inst-1', 1);
      await t.enqueue('inst-1', 2, 'gpu');
      expect(
        await t.provider.fetchWorkItem(30_000, 0, null, 'none'),
        "'none' never returns items",
      ).toBeNull();
      expect(idTag(await t.fetch('any')), 'the items are still queued').toEqual({ id: 1, tag: null });
    }),
  );

  it(
    'test_multi_tag_filter',
    run(async (t) => {
      await t.enqueue('inst-1', 1, 'gpu');
      await t.enqueue('inst-1', 2, 'tpu');
      await t.enqueue('inst-1', 3, 'cpu');
      await t.enqueue('inst-1', 4);
      const filter: TagFilter = { tags: ['gpu', 'tpu'] };
      expect(idTag(await t.fetch(filter))).toEqual({ id: 1, tag: 'gpu' });
      expect(idTag(await t.fetch(filter))).toEqual({ id: 2, tag: 'tpu' });
      expect(await t.fetch(filter), 'cpu and untagged are excluded').toBeNull();
    }),
  );

  it(
    'test_tag_round_trip_preservation',
    run(async (t) => {
      await t.enqueue('inst-1', 1, 'gpu');
      const fetched = await t.fetch({ tags: ['gpu'] });
      expect(fetched?.item).toMatchObject({ tag: 'gpu', name: 'Activity1' });
    }),
  );

  it(
    'test_any_filter_fetches_everything',
    run(async (t) => {
      await t.enqueue('inst-1', 1);
      await t.enqueue('inst-2', 2, 'gpu');
      await t.enqueue('inst-3', 3, 'cpu');
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(idTag(await t.fetch('any')));
      expect(ids).toEqual([
        { id: 1, tag: null },
        { id: 2, tag: 'gpu' },
        { id: 3, tag: 'cpu' },
      ]);
      expect(await t.fetch('any'), 'queue empty').toBeNull();
    }),
  );

  it(
    'test_tag_survives_abandon_and_refetch',
    run(async (t) => {
      await t.enqueue('inst-1', 1, 'gpu');
      await t.enqueue('inst-1', 2);
      const gpu: TagFilter = { tags: ['gpu'] };
      const first = await t.fetch(gpu);
      expect(idTag(first)).toEqual({ id: 1, tag: 'gpu' });
      await t.provider.abandonWorkItem(first!.lockToken);
      const again = await t.fetch(gpu);
      expect(idTag(again), 'same item, tag intact').toEqual({ id: 1, tag: 'gpu' });
      expect(again!.attemptCount).toBeGreaterThanOrEqual(2);
      expect(again!.lockToken).not.toBe(first!.lockToken);
      expect(idTag(await t.fetch('defaultOnly')), 'DefaultOnly sees only the untagged item').toEqual({
        id: 2,
        tag: null,
      });
    }),
  );

  it(
    'test_multi_runtime_tag_isolation',
    run(async (t) => {
      await t.enqueue('inst-1', 1);
      await t.enqueue('inst-2', 2, 'gpu');
      await t.enqueue('inst-3', 3, 'cpu');
      await t.enqueue('inst-4', 4, 'fpga');
      await t.enqueue('inst-5', 5, 'gpu');
      expect(idTag(await t.fetch('defaultOnly'))).toEqual({ id: 1, tag: null });
      expect(await t.fetch('defaultOnly'), 'no more untagged').toBeNull();
      const gpuCpu: TagFilter = { tags: ['gpu', 'cpu'] };
      const pair = [(await t.fetch(gpuCpu))?.item.id, (await t.fetch(gpuCpu))?.item.id];
      expect(pair.sort(), 'gpu+cpu takes gpu(2) and cpu(3)').toEqual([2, 3]);
      const cpuFpga: TagFilter = { tags: ['cpu', 'fpga'] };
      expect(idTag(await t.fetch(cpuFpga)), 'cpu is locked, so fpga(4)').toEqual({ id: 4, tag: 'fpga' });
      expect(await t.fetch(cpuFpga), 'cpu locked + fpga consumed').toBeNull();
      expect(idTag(await t.fetch('any')), 'Any takes the remaining gpu(5)').toEqual({ id: 5, tag: 'gpu' });
      expect(await t.fetch('any'), 'everything consumed or locked').toBeNull();
    }),
  );

  it(
    'test_tag_preserved_through_ack_orchestration_item',
    run(async (t) => {
      const a = t.s.id('tag-ack-inst');
      await t.provider.enqueueForOrchestrator(startItem(a));
      const turn = await mustFetchOrch(t.provider, t.s.owns, 30_000);
      const gpuWork = activityItem(a, 10, { name: 'GpuWork', input: '"model-v3"', tag: 'gpu' });
      const cpuWork = activityItem(a, 11, { name: 'CpuWork', input: '"data"' });
      await t.provider.ackOrchestrationItem(
        turn.lockToken,
        emptyAck(1, { historyDelta: [startedEvent(a)], workerItems: [gpuWork, cpuWork] }),
      );
      const untagged = await t.fetch('defaultOnly');
      expect(untagged?.item, 'DefaultOnly gets the untagged activity').toMatchObject({ name: 'CpuWork' });
      expect(untagged?.item.tag).toBeUndefined();
      await t.provider.ackWorkItem(untagged!.lockToken, null);
      expect(await t.fetch('defaultOnly'), 'DefaultOnly must not see the gpu activity').toBeNull();
      const gpu = await t.fetch({ tags: ['gpu'] });
      expect(gpu?.item, 'the tag was stored by the ack').toMatchObject({ name: 'GpuWork', tag: 'gpu' });
    }),
  );
};
