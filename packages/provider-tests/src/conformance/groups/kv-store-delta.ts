import { expect, it } from 'vitest';
import { kvAllCleared, kvCleared, kvSet, requireAdmin } from '../helpers-b.js';
import { type KvRun, values } from './kv-store-harness.js';

/**
 * Registers the `kv_store` group's `test_kv_delta_*` tests: the running execution's KV writes are a delta
 * that client reads merge over the store, that snapshots exclude, and that merges at completion/ContinueAsNew.
 */
export function registerKvDeltaTests(run: KvRun): void {
  it(
    'test_kv_delta_snapshot_excludes_current_execution',
    run(async (t) => {
      const a = t.id('kv-ds1');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'counter', '1', 100)]);
      expect(await t.get(a, 'counter'), 'client sees the running execution').toBe('1');
      expect(await t.snapshot(a, 1), 'the running execution is not in the snapshot').toEqual({});
    }),
  );

  it(
    'test_kv_delta_snapshot_includes_completed_execution',
    run(async (t) => {
      const a = t.id('kv-ds2');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'counter', '5', 100)]);
      await t.can(a, 2);
      expect(values(await t.snapshot(a, 2))).toEqual({ counter: '5' });
    }),
  );

  it(
    'test_kv_delta_client_reads_merged',
    run(async (t) => {
      const a = t.id('kv-dm');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'color', 'red', 100), kvSet(a, 1, 101, 'size', 'large', 101)]);
      await t.complete(a, 1);
      await t.ack(a, 2, [kvSet(a, 2, 200, 'color', 'blue', 200), kvSet(a, 2, 201, 'shape', 'circle', 201)]);
      expect(await t.get(a, 'color'), 'delta overrides store').toBe('blue');
      expect(await t.get(a, 'size'), 'store value without delta').toBe('large');
      expect(await t.get(a, 'shape'), 'delta-only key').toBe('circle');
      expect(await t.provider.getKvAllValues(a)).toEqual({ color: 'blue', size: 'large', shape: 'circle' });
    }),
  );

  it(
    'test_kv_delta_tombstone_overrides_store',
    run(async (t) => {
      const a = t.id('kv-dt');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'temp', 'exists', 100)]);
      await t.complete(a, 1);
      await t.ack(a, 2, [kvCleared(a, 2, 200, 'temp')]);
      expect(await t.get(a, 'temp'), 'tombstone hides the store value').toBeNull();
      expect(await t.provider.getKvAllValues(a)).toEqual({});
    }),
  );

  it(
    'test_kv_delta_clear_all_tombstones_store',
    run(async (t) => {
      const a = t.id('kv-dca');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'a', '1', 100), kvSet(a, 1, 101, 'b', '2', 101)]);
      await t.complete(a, 1);
      await t.ack(a, 2, [kvAllCleared(a, 2, 200), kvSet(a, 2, 201, 'c', '3', 201)]);
      expect(await t.get(a, 'a'), 'clear-all hides store key a').toBeNull();
      expect(await t.get(a, 'b'), 'clear-all hides store key b').toBeNull();
      expect(await t.get(a, 'c'), 'set after clear-all').toBe('3');
    }),
  );

  it(
    'test_kv_delta_merged_on_completion',
    run(async (t) => {
      const a = t.id('kv-dmc');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'result', '42', 100)]);
      await t.complete(a, 1);
      expect(await t.get(a, 'result'), 'value merged into the store').toBe('42');
      expect(values(await t.snapshot(a, 1)), 'the merged value is in the snapshot').toEqual({ result: '42' });
    }),
  );

  it(
    'test_kv_delta_merged_on_can',
    run(async (t) => {
      const a = t.id('kv-dmc2');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'version', '1', 100), kvSet(a, 1, 101, 'progress', '50%', 101)]);
      await t.ack(a, 1, [kvSet(a, 1, 102, 'progress', '100%', 102)]);
      await t.can(a, 2);
      const snapshot = await t.snapshot(a, 2);
      expect(values(snapshot)).toEqual({ version: '1', progress: '100%' });
      expect(snapshot.progress?.lastUpdatedAtMs, 'timestamp of the latest write').toBe(102);
    }),
  );

  it(
    'test_kv_delta_delete_instance_cascades',
    run(async (t) => {
      const admin = requireAdmin(t.provider);
      const a = t.id('kv-ddel');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'data', 'important', 100)]);
      expect(await t.get(a, 'data')).toBe('important');
      await admin.deleteInstance(a, true);
      expect(await t.get(a, 'data'), 'delta rows removed on delete').toBeNull();
    }),
  );

  it(
    'test_kv_delta_prune_untouched_key_survives',
    run(async (t) => {
      const admin = requireAdmin(t.provider);
      const a = t.id('kv-dprn');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'stale_config', 'from_exec_1', 100)]);
      await t.can(a, 2);
      await t.ack(a, 2, [kvSet(a, 2, 200, 'other', 'unrelated', 200)]);
      await t.can(a, 3);
      expect(await t.get(a, 'stale_config')).toBe('from_exec_1');
      expect(await t.get(a, 'other')).toBe('unrelated');
      await admin.pruneExecutions(a, { keepLast: 1 });
      expect(await t.get(a, 'stale_config'), 'key of pruned exec 1 survives').toBe('from_exec_1');
      expect(await t.get(a, 'other'), 'key of pruned exec 2 survives').toBe('unrelated');
      expect(values(await t.snapshot(a, 3))).toEqual({ stale_config: 'from_exec_1', other: 'unrelated' });
    }),
  );
}
