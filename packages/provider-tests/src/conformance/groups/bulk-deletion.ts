import type { ProviderAdmin } from '@duroxide/core';
import { expect, it } from 'vitest';
import { createInstance } from '../builders.js';
import type { ConformanceGroup } from '../describe-conformance.js';
import { uniqueId, withProvider } from '../harness.js';
import { createTerminalInstance, LONG_LOCK_MS, requireManagement } from '../helpers-a.js';

/** Whether `getInstanceInfo` finds the instance. */
async function exists(admin: ProviderAdmin, id: string): Promise<boolean> {
  return admin.getInstanceInfo(id).then(
    () => true,
    () => false,
  );
}

/** duroxide validation group `bulk_deletion` (reference provider-contract §3.2): `deleteInstanceBulk`. */
export const bulkDeletionGroup: ConformanceGroup = (options) => {
  it('test_delete_instance_bulk_filter_combinations', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const ids = [0, 1, 2, 3, 4].map((i) => uniqueId(`bulk-del-filter-${i}`));
      for (const id of ids) await createTerminalInstance(provider, id);

      const byId = await admin.deleteInstanceBulk({ instanceIds: ids.slice(0, 2) });
      expect(byId.instancesDeleted, 'deletes exactly the listed ids').toBe(2);
      expect(await exists(admin, ids[0]!)).toBe(false);
      expect(await exists(admin, ids[1]!)).toBe(false);
      expect(await exists(admin, ids[2]!)).toBe(true);

      const unknown = await admin.deleteInstanceBulk({
        instanceIds: [uniqueId('does-not-exist-1'), uniqueId('does-not-exist-2')],
      });
      expect(unknown.instancesDeleted, 'unknown ids delete nothing').toBe(0);
      expect((await admin.deleteInstanceBulk({ instanceIds: [] })).instancesDeleted, 'an empty id list').toBe(
        0,
      );
      expect(await exists(admin, ids[2]!), 'an empty id list matches nothing').toBe(true);

      const all = await admin.deleteInstanceBulk({});
      expect(
        all.instancesDeleted,
        'an empty filter deletes every remaining terminal instance',
      ).toBeGreaterThanOrEqual(3);
      for (const id of ids.slice(2)) expect(await exists(admin, id)).toBe(false);
    }));

  it('test_delete_instance_bulk_safety_and_limits', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const completed = [1, 2].map((i) => uniqueId(`bulk-del-safe-completed-${i}`));
      const running = [1, 2].map((i) => uniqueId(`bulk-del-safe-running-${i}`));
      for (const id of completed) await createTerminalInstance(provider, id);
      for (const id of running) await createInstance(provider, id, LONG_LOCK_MS);

      const result = await admin.deleteInstanceBulk({ instanceIds: [...completed, ...running] });
      expect(result.instancesDeleted, 'running instances are skipped silently').toBe(2);
      for (const id of running)
        expect(await exists(admin, id), `${id} is running and must survive`).toBe(true);
      for (const id of completed) expect(await exists(admin, id)).toBe(false);

      for (let i = 0; i < 4; i++) await createTerminalInstance(provider, uniqueId(`bulk-del-batch-${i}`));
      const batches: number[] = [];
      for (let i = 0; i < 3; i++)
        batches.push((await admin.deleteInstanceBulk({ limit: 2 })).instancesDeleted);
      expect(batches, 'limit 2 deletes in batches 2, 2, 0').toEqual([2, 2, 0]);
      for (const id of running) expect(await exists(admin, id)).toBe(true);
    }));

  it('test_delete_instance_bulk_completed_before_filter', () =>
    withProvider(options, async ({ provider, clock }) => {
      const admin = requireManagement(provider);
      const ids = [1, 2].map((i) => uniqueId(`bulk-del-time-${i}`));
      // completedAt comes from the provider's clock, so the cutoffs are read from (and moved on) that clock.
      const beforeCreation = clock.now();
      clock.advance(10);
      for (const id of ids) await createTerminalInstance(provider, id);
      clock.advance(10);
      const afterCreation = clock.now();

      const none = await admin.deleteInstanceBulk({ instanceIds: ids, completedBefore: beforeCreation });
      expect(none.instancesDeleted, 'completed after the cutoff ⇒ kept').toBe(0);
      for (const id of ids) expect(await exists(admin, id)).toBe(true);

      const both = await admin.deleteInstanceBulk({ instanceIds: ids, completedBefore: afterCreation });
      expect(both.instancesDeleted, 'completed before the cutoff ⇒ deleted').toBe(2);
      for (const id of ids) expect(await exists(admin, id)).toBe(false);
    }));

  it('test_delete_instance_bulk_cascades_to_children', () =>
    withProvider(options, async ({ provider }) => {
      const admin = requireManagement(provider);
      const parent1 = uniqueId('bulk-del-cascade-parent1');
      const child1 = `${parent1}::child1`;
      const parent2 = uniqueId('bulk-del-cascade-parent2');
      const children2 = ['a', 'b', 'c'].map((s) => `${parent2}::child2${s}`);
      const standalone = uniqueId('bulk-del-cascade-standalone');
      await createTerminalInstance(provider, parent1);
      await createTerminalInstance(provider, child1, { parent: parent1 });
      await createTerminalInstance(provider, parent2);
      for (const child of children2) await createTerminalInstance(provider, child, { parent: parent2 });
      await createTerminalInstance(provider, standalone);
      const all = [parent1, child1, parent2, ...children2, standalone];
      for (const id of all) expect(await exists(admin, id)).toBe(true);

      const result = await admin.deleteInstanceBulk({ instanceIds: [parent1, parent2, standalone] });
      expect(result.instancesDeleted, '3 roots + 4 children').toBe(7);
      for (const id of all) expect(await exists(admin, id), `${id} should be deleted`).toBe(false);
    }));
};
