import type { PruneOptions } from '@duroxide/core';
import { expect, it } from 'vitest';
import type { ConformanceGroup } from '../describe-conformance.js';
import { withProvider } from '../harness.js';
import { createMultiExecutionInstance, requireAdmin, TestScope } from '../helpers-b.js';

/** duroxide validation group `prune` (reference provider-contract §3.2). */
export const pruneGroup: ConformanceGroup = (options) => {
  it('test_prune_options_combinations', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const admin = requireAdmin(provider);
      const s = new TestScope('prune-options');
      const a = s.id('prune-options-test');
      await createMultiExecutionInstance(provider, a, lockTimeoutMs, 4);
      expect(await admin.listExecutions(a), 'four executions').toEqual([1, 2, 3, 4]);
      const kept2 = await admin.pruneExecutions(a, { keepLast: 2 });
      expect(kept2).toEqual({ instancesProcessed: 1, executionsDeleted: 2, eventsDeleted: 2 });
      expect(await admin.listExecutions(a), 'keep_last=2 keeps the latest two').toEqual([3, 4]);
      expect(await provider.readWithExecution(a, 1), 'history of pruned executions is gone').toEqual([]);

      const b = s.id('prune-options-empty');
      await createMultiExecutionInstance(provider, b, lockTimeoutMs, 3);
      const current = (await admin.getInstanceInfo(b)).currentExecutionId;
      await admin.pruneExecutions(b, {});
      expect(await admin.listExecutions(b), 'empty options leave only the current execution').toEqual([
        current,
      ]);
    }));

  it('test_prune_safety', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const admin = requireAdmin(provider);
      const s = new TestScope('prune-safety');
      const a = s.id('prune-safety-current');
      await createMultiExecutionInstance(provider, a, lockTimeoutMs, 3);
      await admin.pruneExecutions(a, { keepLast: 0 });
      expect((await admin.getInstanceInfo(a)).currentExecutionId, 'current execution remains').toBe(3);
      expect(await admin.listExecutions(a)).toEqual([3]);
      expect(await provider.read(a), 'current history untouched').toHaveLength(1);

      let unknownError: unknown;
      await admin.pruneExecutions(s.id('does-not-exist-prune'), { keepLast: 1 }).catch((e: unknown) => {
        unknownError = e;
      });
      expect(unknownError, 'prune of an unknown instance fails').toBeInstanceOf(Error);

      const cases: [string, PruneOptions][] = [
        ['None', {}],
        ['Some(0)', { keepLast: 0 }],
        ['Some(1)', { keepLast: 1 }],
      ];
      for (const [label, opts] of cases) {
        const id = s.id(`prune-terminal-${label}`);
        await createMultiExecutionInstance(provider, id, lockTimeoutMs, 4);
        const info = await admin.getInstanceInfo(id);
        expect(info.status, 'instance is terminal').toBe('Completed');
        const result = await admin.pruneExecutions(id, opts);
        expect(await admin.listExecutions(id), `keep_last=${label}: only the current remains`).toEqual([
          info.currentExecutionId,
        ]);
        expect(
          result.executionsDeleted,
          `keep_last=${label}: three historical executions deleted`,
        ).toBeGreaterThanOrEqual(3);
      }
    }));

  it('test_prune_bulk', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const admin = requireAdmin(provider);
      const s = new TestScope('prune-bulk');
      const ids = [0, 1, 2].map((i) => s.id(`prune-bulk-${i}`));
      for (const id of ids) await createMultiExecutionInstance(provider, id, lockTimeoutMs, 4);
      const result = await admin.pruneExecutionsBulk({ instanceIds: [ids[0]!, ids[1]!] }, { keepLast: 1 });
      expect(result.instancesProcessed, 'two listed instances processed').toBe(2);
      expect(result.executionsDeleted, 'three old executions each').toBe(6);
      expect(await admin.listExecutions(ids[0]!)).toEqual([4]);
      expect(await admin.listExecutions(ids[1]!)).toEqual([4]);
      expect(await admin.listExecutions(ids[2]!), 'unlisted instance untouched').toEqual([1, 2, 3, 4]);
    }));

  it('test_prune_bulk_includes_running_instances', () =>
    withProvider(options, async ({ provider, lockTimeoutMs }) => {
      const admin = requireAdmin(provider);
      const a = new TestScope('prune-running').id('prune-running-inst');
      await createMultiExecutionInstance(provider, a, lockTimeoutMs, 3, {
        running: true,
        name: 'LongRunning',
      });
      expect(await admin.listExecutions(a)).toEqual([1, 2, 3]);
      const before = await admin.getInstanceInfo(a);
      expect(before.status, 'instance is Running').toBe('Running');
      expect(before.currentExecutionId).toBe(3);
      const result = await admin.pruneExecutionsBulk({ instanceIds: [a] }, { keepLast: 1 });
      expect(result.instancesProcessed, 'the running instance is processed').toBe(1);
      expect(result.executionsDeleted, 'its two old executions are deleted').toBe(2);
      expect(await admin.listExecutions(a)).toEqual([3]);
      expect((await admin.getInstanceInfo(a)).status, 'still Running').toBe('Running');
    }));
};
