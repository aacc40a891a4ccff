import { MAX_KV_KEYS, MAX_KV_VALUE_BYTES, SYSTEM_ACTIVITY_GET_KV_VALUE, TimeoutError } from '@duroxide/core';
import { expect } from 'vitest';
import { REPLAY_EVERY_TURN, type SizedText, setKeys, sized, step } from './custom-status-kv-helpers.js';
import { type ScenarioIt, waitUntil } from './harness.js';

/** Checklist 72 (instance KV store), with API.md's key-count and value-size limits. */
export function kvScenarios(test: ScenarioIt): void {
  for (const replay of [false, true]) {
    const mode = replay ? 'replaying every turn' : 'with the instance cache';
    test(`[72] KV set/get/overwrite/clear/clear-all via the context and the client (${mode})`, async (s) => {
      await s.startRuntime(
        (rt) => {
          rt.registerOrchestration('KvOps', async (ctx) => {
            ctx.setValue('a', '1');
            ctx.setValue('b', '2');
            ctx.setValue('c', '3');
            ctx.setValue('c', '3b');
            const t1 = { a: ctx.getValue('a'), c: ctx.getValue('c'), length: ctx.getKvLength() };
            await ctx.waitForEvent('step');
            const t2before = ctx.getKvAllValues();
            ctx.setValue('a', '10');
            ctx.clearValue('b');
            ctx.clearValue('never-set');
            const t2 = { keys: ctx.getKvAllKeys().sort(), b: ctx.getValue('b'), length: ctx.getKvLength() };
            await ctx.waitForEvent('step');
            ctx.clearAllValues();
            const t3 = { length: ctx.getKvLength(), all: ctx.getKvAllValues() };
            ctx.setValue('d', '4');
            await ctx.waitForEvent('step');
            return { t1, t2before, t2, t3, final: ctx.getKvAllValues() };
          });
        },
        replay ? REPLAY_EVERY_TURN : {},
      );
      const id = s.id('kv-ops');
      expect(await s.client.getKvAllValues(id)).toEqual({});
      await s.client.startOrchestration(id, 'KvOps');
      await s.waitForSubscription(id, 'step', 1);
      expect(await s.client.getKvAllValues(id)).toEqual({ a: '1', b: '2', c: '3b' });
      expect(await s.client.getValue(id, 'c')).toBe('3b');
      expect(await s.client.getValue(id, 'missing')).toBeNull();
      await step(s, id, 'step', 1);
      await s.waitForSubscription(id, 'step', 2);
      expect(await s.client.getKvAllValues(id)).toEqual({ a: '10', c: '3b' });
      expect(await s.client.getValue(id, 'b')).toBeNull();
      await expect(s.client.waitForValue(id, 'd', 50)).rejects.toBeInstanceOf(TimeoutError);
      const d = s.client.waitForValue(id, 'd', 10_000);
      await s.client.raiseEvent(id, 'step');
      expect(await d).toBe('4');
      await step(s, id, 'step', 3);
      expect(await s.completed(id)).toEqual({
        t1: { a: '1', c: '3b', length: 3 },
        t2before: { a: '1', b: '2', c: '3b' },
        t2: { keys: ['a', 'c'], b: null, length: 2 },
        t3: { length: 0, all: {} },
        final: { d: '4' },
      });
      expect(await s.client.getKvAllValues(id)).toEqual({ d: '4' });
    });
  }

  test('[72] KV survives continue-as-new and is readable after completion and after failure', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Noop', async () => 'ok');
      rt.registerOrchestration('KvCan', async (ctx, gen: number) => {
        ctx.setValue('count', String(Number(ctx.getValue('count') ?? '0') + 1));
        ctx.setValue(`gen${gen}`, 'seen');
        if (gen === 1) ctx.setValue('dropme', 'x');
        if (gen === 2) ctx.clearValue('dropme');
        await ctx.scheduleActivity('Noop');
        if (gen < 3) return ctx.continueAsNew(gen + 1);
        return ctx.getKvAllValues();
      });
      rt.registerOrchestration('KvFail', async (ctx) => {
        ctx.setValue('before', '1');
        await ctx.scheduleActivity('Noop');
        ctx.setValue('during', '2');
        throw new Error('failed on purpose');
      });
    }, REPLAY_EVERY_TURN);
    const [can, fail] = [s.id('kv-can'), s.id('kv-fail')];
    await s.client.startOrchestration(can, 'KvCan', 1);
    await s.client.startOrchestration(fail, 'KvFail');
    const expected = { count: '3', gen1: 'seen', gen2: 'seen', gen3: 'seen' };
    expect(await s.completed(can)).toEqual(expected);
    expect(await s.currentExecution(can)).toBe(3);
    expect(await s.client.getKvAllValues(can)).toEqual(expected);
    expect(await s.failed(fail)).toContain('failed on purpose');
    expect(await s.client.getKvAllValues(fail)).toEqual({ before: '1', during: '2' });
    expect(await s.client.waitForValue(fail, 'before', 1_000)).toBe('1');
  });

  test('[72] KV key limit: 150 keys across turns are accepted, the next key fails naming the limit', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Noop', async () => 'ok');
      rt.registerOrchestration('KvKeys', async (ctx) => {
        setKeys(ctx, 'k', 100);
        await ctx.waitForEvent('go');
        setKeys(ctx, 'k', MAX_KV_KEYS - 100, 100);
        ctx.setValue('k0', 'overwritten'); // not a new key
        await ctx.waitForEvent('go');
        ctx.setValue('one-too-many', 'v');
        return 'unreachable';
      });
      rt.registerOrchestration('KvKeysCan', async (ctx, gen: number) => {
        if (gen === 1) {
          setKeys(ctx, 'k', MAX_KV_KEYS);
          await ctx.scheduleActivity('Noop');
          return ctx.continueAsNew(2);
        }
        ctx.setValue('one-too-many', 'v');
        return 'unreachable';
      });
    });
    const [turns, can] = [s.id('kv-keys'), s.id('kv-keys-can')];
    await s.client.startOrchestration(turns, 'KvKeys');
    await s.client.startOrchestration(can, 'KvKeysCan', 1);
    await step(s, turns, 'go', 1);
    await s.waitForSubscription(turns, 'go', 2);
    const full = await s.client.getKvAllValues(turns);
    expect(Object.keys(full)).toHaveLength(MAX_KV_KEYS);
    expect(full.k0).toBe('overwritten');
    await s.client.raiseEvent(turns, 'go');
    const limitMessage = `KV key count (${MAX_KV_KEYS + 1}) exceeds limit (${MAX_KV_KEYS})`;
    expect(await s.failed(turns)).toContain(limitMessage);
    expect(await s.failed(can)).toContain(limitMessage);
  });

  test('[72] clear-all resets the key count and clearing a key frees its slot', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Noop', async () => 'ok');
      rt.registerOrchestration('KvRefill', async (ctx) => {
        setKeys(ctx, 'k', MAX_KV_KEYS);
        await ctx.scheduleActivity('Noop');
        ctx.clearAllValues();
        setKeys(ctx, 'j', MAX_KV_KEYS);
        await ctx.scheduleActivity('Noop');
        ctx.clearValue('j0');
        ctx.setValue('extra', 'v');
        return ctx.getKvLength();
      });
      rt.registerOrchestration('KvRefillCan', async (ctx, gen: number) => {
        if (gen === 1) {
          setKeys(ctx, 'k', MAX_KV_KEYS);
          await ctx.scheduleActivity('Noop');
          return ctx.continueAsNew(2);
        }
        ctx.clearAllValues(); // clears the keys stored by the previous execution too
        setKeys(ctx, 'j', MAX_KV_KEYS);
        return ctx.getKvLength();
      });
    });
    const [turns, can] = [s.id('kv-refill'), s.id('kv-refill-can')];
    await s.client.startOrchestration(turns, 'KvRefill');
    await s.client.startOrchestration(can, 'KvRefillCan', 1);
    expect(await s.completed(turns)).toBe(MAX_KV_KEYS);
    const afterTurns = await s.client.getKvAllValues(turns);
    expect(Object.keys(afterTurns)).toHaveLength(MAX_KV_KEYS);
    expect(afterTurns).toMatchObject({ extra: 'v', j1: 'v' });
    expect(afterTurns.j0).toBeUndefined();
    expect(afterTurns.k1).toBeUndefined();
    expect(await s.completed(can)).toBe(MAX_KV_KEYS);
    const afterCan = Object.keys(await s.client.getKvAllValues(can));
    expect(afterCan).toHaveLength(MAX_KV_KEYS);
    expect(afterCan.every((k) => k.startsWith('j'))).toBe(true);
  });

  test('[72] KV value limit: 64 KiB is accepted, one byte more fails naming the key and the limit', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('KvBig', async (ctx, input: SizedText & { thenSet?: string }) => {
        ctx.setValue('big', sized(input));
        // Every write counts, not only the last one of the turn.
        if (input.thenSet !== undefined) ctx.setValue('big', input.thenSet);
        return 'done';
      });
    });
    const half = MAX_KV_VALUE_BYTES / 2;
    const cases = {
      exact: { unit: 'x', repeat: MAX_KV_VALUE_BYTES, tail: '' },
      over: { unit: 'x', repeat: MAX_KV_VALUE_BYTES, tail: 'y' },
      utf8Exact: { unit: 'é', repeat: half, tail: '' },
      utf8Over: { unit: 'é', repeat: half, tail: 'y' },
      overThenSmall: { unit: 'x', repeat: MAX_KV_VALUE_BYTES, tail: 'y', thenSet: 'small' },
    };
    const ids = Object.fromEntries(Object.keys(cases).map((k) => [k, s.id(`kv-size-${k}`)]));
    for (const [k, input] of Object.entries(cases))
      await s.client.startOrchestration(ids[k]!, 'KvBig', input);
    for (const k of ['exact', 'utf8Exact']) {
      expect(await s.completed(ids[k]!)).toBe('done');
      expect(await s.client.getValue(ids[k]!, 'big')).toBe(sized(cases[k as 'exact']));
    }
    for (const k of ['over', 'utf8Over', 'overThenSmall']) {
      expect(await s.failed(ids[k]!)).toContain(
        `KV value for key 'big' (${MAX_KV_VALUE_BYTES + 1} bytes) exceeds limit (${MAX_KV_VALUE_BYTES} bytes)`,
      );
    }
  });

  test('[72] KV is deleted with the instance and cascaded to its children', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('KvChild', async (ctx) => {
        ctx.setValue('who', 'child');
        return 'child done';
      });
      rt.registerOrchestration('KvParent', async (ctx) => {
        ctx.setValue('who', 'parent');
        return ctx.scheduleSubOrchestrationWithId('KvChild', `${ctx.instanceId}-child`);
      });
    });
    const [root, other] = [s.id('kv-del'), s.id('kv-keep')];
    const child = `${root}-child`;
    await s.client.startOrchestration(root, 'KvParent');
    await s.client.startOrchestration(other, 'KvParent');
    expect(await s.completed(root)).toBe('child done');
    expect(await s.completed(other)).toBe('child done');
    expect(await s.client.getValue(root, 'who')).toBe('parent');
    expect(await s.client.getValue(child, 'who')).toBe('child');
    const result = await s.client.deleteInstance(root);
    expect(result.instancesDeleted).toBe(2);
    expect(await s.client.getKvAllValues(root)).toEqual({});
    expect(await s.client.getKvAllValues(child)).toEqual({});
    expect(await s.client.getValue(child, 'who')).toBeNull();
    expect(await s.client.getValue(other, 'who')).toBe('parent');
    expect(await s.client.getValue(`${other}-child`, 'who')).toBe('child');
  });

  test('[72] parent and child KV stores are isolated', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('KvIsoChild', async (ctx) => {
        const before = ctx.getKvAllValues();
        ctx.setValue('shared', 'child-value');
        ctx.setValue('c', '1');
        return { before, after: ctx.getKvAllValues() };
      });
      rt.registerOrchestration('KvIsoParent', async (ctx) => {
        ctx.setValue('shared', 'parent-value');
        ctx.setValue('p', '1');
        const childSaw = await ctx.scheduleSubOrchestrationWithId('KvIsoChild', `${ctx.instanceId}-child`);
        return { childSaw, parentSees: ctx.getKvAllValues() };
      });
    });
    const id = s.id('kv-iso');
    expect((await s.run(id, 'KvIsoParent')).output).toEqual({
      childSaw: { before: {}, after: { shared: 'child-value', c: '1' } },
      parentSees: { shared: 'parent-value', p: '1' },
    });
    expect(await s.client.getKvAllValues(id)).toEqual({ shared: 'parent-value', p: '1' });
    expect(await s.client.getKvAllValues(`${id}-child`)).toEqual({ shared: 'child-value', c: '1' });
  });

  test('[72] getValueFromInstance: missing key or instance is null, replay reuses the recorded value, a later read sees a later update', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('KvHolder', async (ctx) => {
        ctx.setValue('v', '1');
        await ctx.waitForEvent('bump');
        ctx.setValue('v', '2');
        await ctx.waitForEvent('done');
        return ctx.getValue('v');
      });
      rt.registerOrchestration('KvReader', async (ctx, target: string) => {
        const first = await ctx.getValueFromInstance(target, 'v');
        const missingKey = await ctx.getValueFromInstance(target, 'nope');
        const missingInstance = await ctx.getValueFromInstance(`${target}-absent`, 'v');
        ctx.setValue('first', String(first));
        await ctx.waitForEvent('go');
        // Replayed (no instance cache) after the holder changed: `first` must still be the recorded '1'.
        const second = await ctx.getValueFromInstance(target, 'v');
        return { first, missingKey, missingInstance, second };
      });
    }, REPLAY_EVERY_TURN);
    const [holder, reader] = [s.id('kv-holder'), s.id('kv-reader')];
    await s.client.startOrchestration(holder, 'KvHolder');
    await s.waitForSubscription(holder, 'bump');
    await s.client.startOrchestration(reader, 'KvReader', holder);
    await s.waitForSubscription(reader, 'go');
    expect(await s.client.getValue(reader, 'first')).toBe('1');
    await s.client.raiseEvent(holder, 'bump');
    await waitUntil(
      async () => ((await s.client.getValue(holder, 'v')) === '2' ? true : undefined),
      'the holder to publish v = 2',
    );
    await s.client.raiseEvent(reader, 'go');
    expect(await s.completed(reader)).toEqual({
      first: '1',
      missingKey: null,
      missingInstance: null,
      second: '2',
    });
    const reads = (await s.history(reader)).filter(
      (e) => e.kind === 'ActivityScheduled' && e.name === SYSTEM_ACTIVITY_GET_KV_VALUE,
    );
    expect(reads).toHaveLength(4);
    await step(s, holder, 'done', 1);
    expect(await s.completed(holder)).toBe('2');
  });

  test('[72] pruneKvValuesUpdatedBefore clears keys written before the cutoff, earlier executions included', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Noop', async () => 'ok');
      rt.registerOrchestration('KvPrune', async (ctx, gen: number) => {
        if (gen === 1) {
          ctx.setValue('old-exec', '1');
          await ctx.scheduleActivity('Noop');
          return ctx.continueAsNew(2);
        }
        ctx.setValue('old-turn', '2');
        const cutoff = await ctx.waitForEvent<number>('cutoff');
        ctx.setValue('fresh', '3');
        const pruned = ctx.pruneKvValuesUpdatedBefore(cutoff);
        const after = ctx.getKvAllValues();
        // The next turn replays the prune (no instance cache): it must clear the same keys again.
        await ctx.waitForEvent('done');
        return { pruned, after, final: ctx.getKvAllValues() };
      });
    }, REPLAY_EVERY_TURN);
    const id = s.id('kv-prune');
    await s.client.startOrchestration(id, 'KvPrune', 1);
    await s.waitForSubscription(id, 'cutoff', 1, 2);
    const writes = [...(await s.history(id, 1)), ...(await s.history(id, 2))]
      .filter((e) => e.kind === 'KeyValueSet')
      .map((e) => Number(e.lastUpdatedAtMs));
    expect(writes).toHaveLength(2);
    const cutoff = Math.max(...writes) + 1;
    // The next turn's writes carry a wall-clock time at or after the cutoff.
    await waitUntil(() => (Date.now() > cutoff ? true : undefined), 'the clock to pass the cutoff');
    await s.client.raiseEvent(id, 'cutoff', cutoff);
    await step(s, id, 'done', 1);
    expect(await s.completed(id)).toEqual({ pruned: 2, after: { fresh: '3' }, final: { fresh: '3' } });
    expect(await s.client.getKvAllValues(id)).toEqual({ fresh: '3' });
  });
}
