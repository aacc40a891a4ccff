import { expect, it } from 'vitest';
import { emptyAck, event, startItem } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { kvAllCleared, kvCleared, kvSet, mustFetchOrch, requireAdmin } from '../helpers-b.js';
import { registerKvDeltaTests } from './kv-store-delta.js';
import { kvRunner, values } from './kv-store-harness.js';

/**
 * duroxide validation group `kv_store` (reference provider-contract §3.2). The `test_kv_delta_*` tests
 * (client reads merging the running execution's delta over the store) live in kv-store-delta.ts.
 */
export const kvStoreGroup: ConformanceGroup = (options) => {
  const run = kvRunner(options);

  it(
    'test_kv_set_and_get',
    run(async (t) => {
      const a = t.id('kv-set');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'counter', '42')]);
      expect(await t.get(a, 'counter')).toBe('42');
      expect(await t.provider.getKvAllValues(a)).toEqual({ counter: '42' });
    }),
  );

  it(
    'test_kv_overwrite',
    run(async (t) => {
      const a = t.id('kv-over');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'status', 'old')]);
      expect(await t.get(a, 'status'), 'initial value').toBe('old');
      await t.ack(a, 1, [kvSet(a, 1, 101, 'status', 'new')]);
      expect(await t.get(a, 'status')).toBe('new');
    }),
  );

  it(
    'test_kv_clear_single',
    run(async (t) => {
      const a = t.id('kv-clr1');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'remove_me', 'x')]);
      expect(await t.get(a, 'remove_me'), 'value set before clearing').toBe('x');
      await t.ack(a, 1, [kvCleared(a, 1, 101, 'remove_me')]);
      expect(await t.get(a, 'remove_me')).toBeNull();
    }),
  );

  it(
    'test_kv_clear_all',
    run(async (t) => {
      const a = t.id('kv-clra');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'a', '1'), kvSet(a, 1, 101, 'b', '2')]);
      expect(await t.get(a, 'a')).toBe('1');
      expect(await t.get(a, 'b')).toBe('2');
      await t.ack(a, 1, [kvAllCleared(a, 1, 102)]);
      expect(await t.get(a, 'a')).toBeNull();
      expect(await t.get(a, 'b')).toBeNull();
      expect(await t.provider.getKvAllValues(a)).toEqual({});
    }),
  );

  it(
    'test_kv_get_nonexistent',
    run(async (t) => {
      const a = t.id('kv-none');
      await t.create(a);
      expect(await t.get(a, 'nope')).toBeNull();
    }),
  );

  it(
    'test_kv_snapshot_in_fetch',
    run(async (t) => {
      const a = t.id('kv-fetch');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'x', '10'), kvSet(a, 1, 101, 'y', '20')]);
      await t.complete(a, 1);
      const snapshot = await t.snapshot(a, 1);
      expect(values(snapshot)).toEqual({ x: '10', y: '20' });
      expect(snapshot.x?.lastUpdatedAtMs, 'lastUpdatedAtMs comes from the KeyValueSet event').toBe(0);
    }),
  );

  it(
    'test_kv_snapshot_after_clear_single',
    run(async (t) => {
      const a = t.id('kv-fclr1');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'keep', 'yes'), kvSet(a, 1, 101, 'remove', 'bye')]);
      await t.ack(a, 1, [kvCleared(a, 1, 102, 'remove')]);
      await t.complete(a, 1);
      expect(values(await t.snapshot(a, 1))).toEqual({ keep: 'yes' });
    }),
  );

  it(
    'test_kv_snapshot_after_clear_all',
    run(async (t) => {
      const a = t.id('kv-fclra');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'a', '1'), kvSet(a, 1, 101, 'b', '2')]);
      await t.ack(a, 1, [kvAllCleared(a, 1, 102)]);
      expect(await t.snapshot(a, 1), 'snapshot while running').toEqual({});
      await t.complete(a, 1);
      expect(await t.snapshot(a, 1), 'snapshot after the clear-all was merged').toEqual({});
      expect(await t.provider.getKvAllValues(a)).toEqual({});
    }),
  );

  it(
    'test_kv_execution_id_tracking',
    run(async (t) => {
      const admin = requireAdmin(t.provider);
      const a = t.id('kv-exec');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'shared', 'from_exec_1')]);
      expect(await t.get(a, 'shared')).toBe('from_exec_1');
      await t.can(a, 2);
      await t.ack(a, 2, [kvSet(a, 2, 200, 'shared', 'from_exec_2')]);
      expect(await t.get(a, 'shared'), 'exec 2 value').toBe('from_exec_2');
      await admin.pruneExecutions(a, { keepLast: 1 });
      expect(await t.get(a, 'shared'), 'key survives pruning exec 1').toBe('from_exec_2');
    }),
  );

  it(
    'test_kv_cross_execution_overwrite',
    run(async (t) => {
      const a = t.id('kv-xexec');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'k', 'v1')]);
      expect(await t.get(a, 'k'), 'exec 1 value').toBe('v1');
      await t.can(a, 2);
      await t.ack(a, 2, [kvSet(a, 2, 200, 'k', 'v2')]);
      expect(await t.get(a, 'k'), 'exec 2 overwrites').toBe('v2');
    }),
  );

  it(
    'test_kv_cross_execution_remove_readd',
    run(async (t) => {
      const a = t.id('kv-xrm');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'cycle', 'exec1')]);
      expect(await t.get(a, 'cycle')).toBe('exec1');
      await t.can(a, 2);
      await t.ack(a, 2, [kvCleared(a, 2, 200, 'cycle')]);
      expect(await t.get(a, 'cycle'), 'cleared in exec 2').toBeNull();
      await t.can(a, 3);
      await t.ack(a, 3, [kvSet(a, 3, 300, 'cycle', 'exec3')]);
      expect(await t.get(a, 'cycle'), 're-set in exec 3').toBe('exec3');
    }),
  );

  it(
    'test_kv_prune_preserves_overwritten',
    run(async (t) => {
      const admin = requireAdmin(t.provider);
      const a = t.id('kv-prn1');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'survive', 'v1')]);
      await t.can(a, 2);
      await t.ack(a, 2, [kvSet(a, 2, 200, 'survive', 'v2')]);
      await admin.pruneExecutions(a, { keepLast: 1 });
      expect(await t.get(a, 'survive')).toBe('v2');
    }),
  );

  it(
    'test_kv_prune_preserves_all_keys',
    run(async (t) => {
      const admin = requireAdmin(t.provider);
      const a = t.id('kv-prn2');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'orphan', 'survives')]);
      await t.can(a, 2);
      await t.ack(a, 2, [kvSet(a, 2, 200, 'keeper', 'alive')]);
      expect(await t.get(a, 'orphan')).toBe('survives');
      expect(await t.get(a, 'keeper')).toBe('alive');
      await admin.pruneExecutions(a, { keepLast: 1 });
      expect(await t.get(a, 'orphan'), 'KV is instance-scoped: survives pruning').toBe('survives');
      expect(await t.get(a, 'keeper')).toBe('alive');
    }),
  );

  it(
    'test_kv_instance_isolation',
    run(async (t) => {
      const a = t.id('kv-iso-a');
      const b = t.id('kv-iso-b');
      await t.create(a);
      await t.create(b);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'shared_name', 'from_a')]);
      await t.ack(b, 1, [kvSet(b, 1, 100, 'shared_name', 'from_b')]);
      expect(await t.get(a, 'shared_name')).toBe('from_a');
      expect(await t.get(b, 'shared_name')).toBe('from_b');
    }),
  );

  it(
    'test_kv_delete_instance_cascades',
    run(async (t) => {
      const admin = requireAdmin(t.provider);
      const a = t.id('kv-del');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'doomed', 'bye')]);
      await t.complete(a, 1);
      expect(await t.get(a, 'doomed'), 'value before deletion').toBe('bye');
      await admin.deleteInstance(a, false);
      expect(await t.get(a, 'doomed'), 'KV gone after deletion').toBeNull();
      expect(await t.provider.getKvAllValues(a)).toEqual({});
    }),
  );

  it(
    'test_kv_clear_nonexistent_key',
    run(async (t) => {
      const a = t.id('kv-clrne');
      await t.create(a);
      await t.ack(a, 1, [kvCleared(a, 1, 100, 'never_existed')]);
      expect(await t.get(a, 'never_existed')).toBeNull();
    }),
  );

  it(
    'test_kv_get_unknown_instance',
    run(async (t) => {
      expect(await t.get(t.id('no-such-instance'), 'key')).toBeNull();
      expect(await t.provider.getKvAllValues(t.id('no-such-instance'))).toEqual({});
    }),
  );

  it(
    'test_kv_set_after_clear',
    run(async (t) => {
      const a = t.id('kv-sac');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'old_a', '1'), kvSet(a, 1, 101, 'old_b', '2')]);
      await t.ack(a, 1, [kvAllCleared(a, 1, 102), kvSet(a, 1, 103, 'new_x', 'fresh')]);
      expect(await t.get(a, 'old_a')).toBeNull();
      expect(await t.get(a, 'old_b')).toBeNull();
      expect(await t.get(a, 'new_x')).toBe('fresh');
    }),
  );

  it(
    'test_kv_empty_value',
    run(async (t) => {
      const a = t.id('kv-empty');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'blank', '')]);
      expect(await t.get(a, 'blank'), 'empty string is a value, not null').toBe('');
    }),
  );

  it(
    'test_kv_large_value',
    run(async (t) => {
      const a = t.id('kv-big');
      const big = 'x'.repeat(16 * 1024);
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'payload', big)]);
      expect(await t.get(a, 'payload')).toBe(big);
    }),
  );

  it(
    'test_kv_special_chars_in_key',
    run(async (t) => {
      const a = t.id('kv-chars');
      const keys: [string, string][] = [
        ['key with spaces', 'v1'],
        ['日本語キー', 'v2'],
        ['dotted.key.name', 'v3'],
        ['path/like/key', 'v4'],
        ['emoji🎉key', 'v5'],
      ];
      await t.create(a);
      await t.ack(
        a,
        1,
        keys.map(([k, v], i) => kvSet(a, 1, 100 + i, k, v)),
      );
      for (const [k, v] of keys) expect(await t.get(a, k), `key '${k}'`).toBe(v);
    }),
  );

  it(
    'test_kv_snapshot_empty',
    run(async (t) => {
      const a = t.id('kv-sempty');
      await t.create(a);
      expect(await t.snapshot(a, 1)).toEqual({});
    }),
  );

  it(
    'test_kv_snapshot_cross_execution',
    run(async (t) => {
      const a = t.id('kv-scross');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'A', 'from_exec1')]);
      await t.can(a, 2);
      await t.ack(a, 2, [kvSet(a, 2, 200, 'B', 'from_exec2')]);
      // A was merged at the ContinueAsNew boundary; B belongs to the running execution (rebuilt by replay).
      expect(values(await t.snapshot(a, 2))).toEqual({ A: 'from_exec1' });
      expect(await t.provider.getKvAllValues(a), 'client reads see both').toEqual({
        A: 'from_exec1',
        B: 'from_exec2',
      });
    }),
  );

  it(
    'test_kv_prune_current_execution_protected',
    run(async (t) => {
      const admin = requireAdmin(t.provider);
      const a = t.id('kv-prncur');
      await t.create(a);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'alive', 'yes')]);
      await admin.pruneExecutions(a, { keepLast: 1 });
      expect(await t.get(a, 'alive')).toBe('yes');
    }),
  );

  it(
    'test_kv_delete_instance_with_children',
    run(async (t) => {
      const admin = requireAdmin(t.provider);
      const parent = t.id('kv-parent');
      const child = t.id('kv-child');
      await t.create(parent);
      await t.ack(parent, 1, [kvSet(parent, 1, 100, 'parent_key', 'parent_val')]);
      await t.provider.enqueueForOrchestrator(startItem(child, { parentInstance: parent, parentId: 1 }));
      const fetched = await mustFetchOrch(t.provider, (i) => i === child, 30_000, 'the child start');
      const started = event(child, 1, 1, {
        kind: 'OrchestrationStarted',
        name: 'TestOrch',
        version: '1.0.0',
        input: '{}',
        parentInstance: parent,
        parentId: 1,
      });
      await t.provider.ackOrchestrationItem(
        fetched.lockToken,
        emptyAck(1, {
          historyDelta: [started],
          metadata: {
            parentInstanceId: parent,
            orchestrationName: 'TestOrch',
            orchestrationVersion: '1.0.0',
          },
        }),
      );
      await t.ack(child, 1, [kvSet(child, 1, 100, 'child_key', 'child_val')]);
      await t.complete(child, 1);
      await t.complete(parent, 1);
      await admin.deleteInstance(parent, false);
      expect(await t.get(parent, 'parent_key'), 'parent KV removed').toBeNull();
      expect(await t.get(child, 'child_key'), 'child KV removed with its parent').toBeNull();
    }),
  );

  it(
    'test_kv_clear_isolation',
    run(async (t) => {
      const a = t.id('kv-ciso-a');
      const b = t.id('kv-ciso-b');
      await t.create(a);
      await t.create(b);
      await t.ack(a, 1, [kvSet(a, 1, 100, 'shared', 'from_a')]);
      await t.ack(b, 1, [kvSet(b, 1, 100, 'shared', 'from_b')]);
      await t.ack(a, 1, [kvAllCleared(a, 1, 101)]);
      expect(await t.get(a, 'shared')).toBeNull();
      expect(await t.get(b, 'shared'), 'clearing A must not affect B').toBe('from_b');
    }),
  );

  registerKvDeltaTests(run);
};
