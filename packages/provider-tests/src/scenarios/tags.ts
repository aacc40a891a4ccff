import type { Runtime } from '@duroxide/core';
import { expect } from 'vitest';
import { scenarioIt } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** Registers `Where`, an activity that reports which runtime ran it and with which tag. */
function registerWhere(rt: Runtime, label: string): void {
  rt.registerActivity('Where', async (ctx, x: string) => `${x} on ${label} (tag ${ctx.tag() ?? 'none'})`);
}

/** Checklist 21: activity tags, heterogeneous workers, starvation-safe routing. */
export function tagScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  test('[21] heterogeneous workers: untagged and tagged activities run on matching runtimes', async (s) => {
    await s.startRuntime(
      (rt) => {
        registerWhere(rt, 'cpu');
        rt.registerOrchestration('Mixed', async (ctx) => {
          const plain = await ctx.scheduleActivity<string>('Where', 'plain');
          const gpu = await ctx.scheduleActivity<string>('Where', 'render').withTag('gpu');
          const viaOption = await ctx.scheduleActivity<string>('Where', 'opt', { tag: 'gpu' });
          return [plain, gpu, viaOption];
        });
      },
      { workerTagFilter: 'defaultOnly' },
    );
    await s.startRuntime((rt) => registerWhere(rt, 'gpu-box'), {
      orchestrationConcurrency: 0,
      workerTagFilter: { tags: ['gpu'] },
    });
    const id = s.id('tags');
    expect((await s.run(id, 'Mixed')).output).toEqual([
      'plain on cpu (tag none)',
      'render on gpu-box (tag gpu)',
      'opt on gpu-box (tag gpu)',
    ]);
    const scheduled = (await s.history(id)).filter((e) => e.kind === 'ActivityScheduled');
    expect(scheduled.map((e) => e.tag ?? null)).toEqual([null, 'gpu', 'gpu']);
  });

  test('[21] a tagged activity with no matching worker loses to a timer; the fallback runs', async (s) => {
    await s.startRuntime((rt) => {
      registerWhere(rt, 'default');
      rt.registerOrchestration('Starved', async (ctx) => {
        const r = await ctx.race(
          ctx.scheduleActivity<string>('Where', 'tpu job').withTag('tpu'),
          ctx.scheduleTimer(30),
        );
        if (r.index === 0) return r.value;
        return `fallback: ${await ctx.scheduleActivity<string>('Where', 'cpu job')}`;
      });
    });
    const id = s.id('starved');
    expect((await s.run(id, 'Starved')).output).toBe('fallback: cpu job on default (tag none)');
    expect(await s.kinds(id)).toContain('ActivityCancelRequested');
    expect((await s.client.getQueueDepths()).workerQueue).toBe(0);
  });

  test('[21] two runtimes cooperate: orchestrator-only plus a tag worker on one store', async (s) => {
    await s.startRuntime(
      (rt) => {
        rt.registerOrchestration('Pipeline', async (ctx, frames: number[]) => {
          const rendered = await ctx.all(
            frames.map((f) => ctx.scheduleActivity<string>('Where', `frame${f}`).withTag('gpu')),
          );
          return rendered.map((r) => ('ok' in r ? r.ok : r.err));
        });
      },
      { workerTagFilter: 'none' },
    );
    await s.startRuntime((rt) => registerWhere(rt, 'worker'), {
      orchestrationConcurrency: 0,
      workerTagFilter: { defaultAnd: ['gpu'] },
    });
    const id = s.id('coop');
    expect((await s.run(id, 'Pipeline', [1, 2, 3])).output).toEqual([
      'frame1 on worker (tag gpu)',
      'frame2 on worker (tag gpu)',
      'frame3 on worker (tag gpu)',
    ]);
  });

  test('[68] a 256-byte tag is accepted; a 257-byte tag fails the orchestration naming the limit', async (s) => {
    const ok = 'g'.repeat(256);
    await s.startRuntime(
      (rt) => {
        registerWhere(rt, 'any');
        rt.registerOrchestration('Tagged', async (ctx, tag: string) =>
          ctx.scheduleActivity<string>('Where', 'x').withTag(tag),
        );
      },
      { workerTagFilter: 'any' },
    );
    const good = s.id('tag-256');
    expect((await s.run(good, 'Tagged', ok)).output).toBe(`x on any (tag ${ok})`);
    const bad = s.id('tag-257');
    await s.client.startOrchestration(bad, 'Tagged', `${ok}g`);
    expect(await s.failed(bad)).toContain("Activity 'Where' tag size (257 bytes) exceeds limit (256 bytes)");
  });

  test('[68] tags survive continue-as-new; disjoint tag workers each take only their own tag', async (s) => {
    for (const tag of ['red', 'blue']) {
      await s.startRuntime((rt) => registerWhere(rt, `${tag}-box`), {
        orchestrationConcurrency: 0,
        workerTagFilter: { tags: [tag] },
      });
    }
    await s.startRuntime(
      (rt) => {
        rt.registerOrchestration('Colors', async (ctx, gen: number) => {
          const r = await ctx
            .scheduleActivity<string>('Where', `g${gen}`)
            .withTag(gen === 1 ? 'red' : 'blue');
          ctx.setValue(`g${gen}`, r);
          if (gen === 1) return ctx.continueAsNew(2);
          return [ctx.getValue('g1'), r];
        });
      },
      { workerTagFilter: 'none' },
    );
    const id = s.id('tag-can');
    expect((await s.run(id, 'Colors', 1)).output).toEqual([
      'g1 on red-box (tag red)',
      'g2 on blue-box (tag blue)',
    ]);
  });

  test('[68] a tagged activity that loses a race is cancelled; nothing stays queued', async (s) => {
    await s.startRuntime((rt) => {
      registerWhere(rt, 'default');
      rt.registerOrchestration('DropTagged', async (ctx) => {
        const r = await ctx.race(
          ctx.waitForEvent<string>('go'),
          ctx.scheduleActivity('Where', 'never').withTag('nobody'),
        );
        return r.value;
      });
    });
    const id = s.id('tag-drop');
    await s.client.startOrchestration(id, 'DropTagged');
    await s.waitForSubscription(id, 'go');
    expect((await s.client.getQueueDepths()).workerQueue).toBe(1);
    await s.client.raiseEvent(id, 'go', 'event won');
    expect(await s.completed(id)).toBe('event won');
    const cancel = (await s.history(id)).find((e) => e.kind === 'ActivityCancelRequested');
    expect(cancel).toBeDefined();
    expect((await s.client.getQueueDepths()).workerQueue).toBe(0);
  });
}
