import { InstanceNotFoundError, SubOrchestrationFailedError } from '@duroxide/core';
import { expect } from 'vitest';
import { abortedOrAfter, Counter, gate, scenarioIt, waitUntil } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

/** Checklist 17 and 48–50: instance cancellation and activity cancellation. */
export function cancellationScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);

  const registerWaiter = (rt: import('@duroxide/core').Runtime) =>
    rt.registerOrchestration('Waiter', async (ctx) => ctx.waitForEvent('Never'));

  test('[17] cancelling a parent fails it with canceled: and cancels its child', async (s) => {
    await s.startRuntime((rt) => {
      registerWaiter(rt);
      rt.registerOrchestration('Parent', async (ctx) =>
        ctx.scheduleSubOrchestrationWithId('Waiter', `${ctx.instanceId}-c`),
      );
    });
    const id = s.id('cancel-parent');
    await s.client.startOrchestration(id, 'Parent');
    await s.waitForSubscription(`${id}-c`, 'Never');
    await s.client.cancelInstance(id, 'user request');
    expect(await s.failed(id)).toMatch(/^canceled: user request/);
    expect(await s.failed(`${id}-c`)).toMatch(/^canceled:/);
    expect(await s.kinds(id)).toContain('OrchestrationCancelRequested');
    expect(await s.kinds(`${id}-c`)).toContain('OrchestrationCancelRequested');
  });

  test('[48] cancellation cascades to several children and grandchildren', async (s) => {
    await s.startRuntime((rt) => {
      registerWaiter(rt);
      rt.registerOrchestration('Mid', async (ctx) =>
        ctx.scheduleSubOrchestrationWithId('Waiter', `${ctx.instanceId}-leaf`),
      );
      rt.registerOrchestration('Root', async (ctx) =>
        ctx.all([
          ctx.scheduleSubOrchestrationWithId('Waiter', `${ctx.instanceId}-a`),
          ctx.scheduleSubOrchestrationWithId('Mid', `${ctx.instanceId}-b`),
        ]),
      );
    });
    const id = s.id('cascade');
    await s.client.startOrchestration(id, 'Root');
    await s.waitForSubscription(`${id}-a`, 'Never');
    await s.waitForSubscription(`${id}-b-leaf`, 'Never');
    await s.client.cancelInstance(id, 'shutdown');
    for (const x of [id, `${id}-a`, `${id}-b`, `${id}-b-leaf`])
      expect(await s.failed(x)).toMatch(/^canceled:/);
  });

  test('[48] a child cancelled directly surfaces to the parent as canceled:', async (s) => {
    await s.startRuntime((rt) => {
      registerWaiter(rt);
      rt.registerOrchestration('Parent', async (ctx) => {
        try {
          await ctx.scheduleSubOrchestrationWithId('Waiter', `${ctx.instanceId}-c`);
          return 'child completed';
        } catch (e) {
          return { typed: e instanceof SubOrchestrationFailedError, message: (e as Error).message };
        }
      });
    });
    const id = s.id('cancel-child');
    await s.client.startOrchestration(id, 'Parent');
    await s.waitForSubscription(`${id}-c`, 'Never');
    await s.client.cancelInstance(`${id}-c`, 'child only');
    const out = (await s.completed(id)) as { typed: boolean; message: string };
    expect(out.typed).toBe(true);
    expect(out.message).toMatch(/canceled: child only/);
  });

  test('[48] cancelling the second execution of a continued-as-new instance', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Eternal', async (ctx, gen: number) => {
        if (gen === 1) return ctx.continueAsNew(2);
        return ctx.waitForEvent('Never');
      });
    });
    const id = s.id('cancel-can');
    await s.client.startOrchestration(id, 'Eternal', 1);
    await s.waitForSubscription(id, 'Never', 1, 2);
    await s.client.cancelInstance(id, 'stop gen 2');
    expect(await s.failed(id)).toMatch(/^canceled: stop gen 2/);
    expect(await s.client.listExecutions(id)).toEqual([1, 2]);
  });

  test('[48] cancel after completion, of an unknown instance, and repeated cancels are no-ops', async (s) => {
    await s.startRuntime((rt) => {
      registerWaiter(rt);
      rt.registerOrchestration('Quick', async () => 'ok');
    });
    const done = s.id('cancel-done');
    await s.run(done, 'Quick');
    await s.client.cancelInstance(done, 'too late');
    const twice = s.id('cancel-twice');
    await s.client.startOrchestration(twice, 'Waiter');
    await s.waitForSubscription(twice, 'Never');
    await s.client.cancelInstance(twice, 'first');
    await s.client.cancelInstance(twice, 'second');
    expect(await s.failed(twice)).toMatch(/^canceled: first/);
    await s.waitForOrchestratorQueueEmpty();
    expect(await s.client.getStatus(done)).toMatchObject({ status: 'Completed', output: 'ok' });
    expect((await s.kinds(twice)).filter((k) => k === 'OrchestrationCancelRequested')).toHaveLength(1);
    // A cancel for an unknown instance never creates it (providers leave such messages unclaimed).
    const unknown = s.id('cancel-unknown');
    await s.client.cancelInstance(unknown, 'nobody').catch((e: unknown) => {
      expect(e).toBeInstanceOf(InstanceNotFoundError);
    });
    expect((await s.client.getStatus(unknown)).status).toBe('NotFound');
  });

  test('[48] a cancel enqueued before the first turn yields a cancelled instance', async (s) => {
    const ran = new Counter();
    const id = s.id('cancel-early');
    await s.client.startOrchestration(id, 'Early');
    await s.client.cancelInstance(id, 'before start');
    await s.startRuntime((rt) => {
      rt.registerActivity('Work', async () => ran.hit());
      rt.registerOrchestration('Early', async (ctx) => ctx.scheduleActivity('Work'));
    });
    expect(await s.failed(id)).toMatch(/^canceled: before start/);
    expect(ran.get()).toBe(0);
  });

  test('[49] a running activity that loses a race sees its signal abort; its result is dropped', async (s) => {
    const started = gate();
    const aborted = gate<boolean>();
    const rt = await s.startRuntime((r) => {
      r.registerActivity('Hang', async (ctx) => {
        started.open();
        const wasAborted = await abortedOrAfter(ctx.signal, 8_000);
        aborted.open(wasAborted && ctx.isCancelled());
        return 'late result';
      });
      r.registerOrchestration('Racer', async (ctx) => {
        const r2 = await ctx.race(ctx.scheduleActivity('Hang'), ctx.waitForEvent<string>('Stop'));
        return r2.index === 1 ? `stopped:${String(r2.value)}` : 'activity won';
      });
    });
    const id = s.id('act-cancel');
    await s.client.startOrchestration(id, 'Racer');
    await started.promise;
    await s.waitForSubscription(id, 'Stop');
    await s.client.raiseEvent(id, 'Stop', 'now');
    expect(await s.completed(id)).toBe('stopped:now');
    expect(await aborted.promise).toBe(true);
    // Shutdown waits for the in-flight activity; had its result been acked, a completion would be queued.
    await s.stopRuntime(rt);
    expect((await s.client.getQueueDepths()).orchestratorQueue).toBe(0);
    const kinds = await s.kinds(id);
    expect(kinds).toContain('ActivityCancelRequested');
    expect(kinds).not.toContain('ActivityCompleted');
  });

  test('[49] a running activity is signalled when its orchestration completes', async (s) => {
    const started = gate();
    const aborted = gate<boolean>();
    await s.startRuntime((r) => {
      r.registerActivity('Background', async (ctx) => {
        started.open();
        aborted.open(await abortedOrAfter(ctx.signal, 8_000));
        return 'ignored';
      });
      r.registerOrchestration('FireAndFinish', async (ctx) => {
        void ctx.scheduleActivity('Background');
        await ctx.waitForEvent('Finish');
        return 'finished';
      });
    });
    const id = s.id('act-terminal');
    await s.client.startOrchestration(id, 'FireAndFinish');
    await started.promise;
    await s.waitForSubscription(id, 'Finish');
    await s.client.raiseEvent(id, 'Finish');
    expect(await s.completed(id)).toBe('finished');
    expect(await aborted.promise).toBe(true);
    expect(await s.kinds(id)).toContain('ActivityCancelRequested');
  });

  test('[49] an activity ignoring its signal is abandoned after the grace period; a pending one never runs', async (s) => {
    const started = gate();
    const ran = new Counter();
    const rt = await s.startRuntime(
      (r) => {
        r.registerActivity('Stubborn', async () => {
          started.open();
          await new Promise(() => undefined); // never settles: only forced abandonment frees the slot
        });
        r.registerActivity('Pending', async () => ran.hit());
        r.registerOrchestration('Leaves', async (ctx) => {
          const stubborn = ctx.scheduleActivity('Stubborn');
          await ctx.waitForEvent('Armed');
          const pending = ctx.scheduleActivity('Pending');
          const r2 = await ctx.race(ctx.all([stubborn, pending]), ctx.waitForEvent('Stop'));
          return r2.index;
        });
      },
      { workerConcurrency: 1 },
    );
    const id = s.id('act-grace');
    await s.client.startOrchestration(id, 'Leaves');
    await started.promise;
    await s.waitForSubscription(id, 'Armed');
    await s.client.raiseEvent(id, 'Armed');
    await s.waitForSubscription(id, 'Stop');
    // The single worker slot is held by Stubborn, so Pending waits in the queue.
    expect((await s.client.getQueueDepths()).workerQueue).toBe(1);
    await s.client.raiseEvent(id, 'Stop');
    expect(await s.completed(id)).toBe(1);
    await waitUntil(
      async () => ((await s.client.getQueueDepths()).workerQueue === 0 ? true : undefined),
      'the pending activity to be removed from the worker queue',
    );
    const t0 = Date.now();
    await s.stopRuntime(rt, 10_000);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(ran.get()).toBe(0);
    expect((await s.kinds(id)).filter((k) => k === 'ActivityCancelRequested')).toHaveLength(2);
  });

  test('[50] cancel() on an activity and an unawaited child at completion cancel them (explicit id too)', async (s) => {
    const ran = new Counter();
    await s.startRuntime((rt) => {
      registerWaiter(rt);
      rt.registerActivity('Never', async () => ran.hit());
      rt.registerOrchestration('Dropper', async (ctx) => {
        const act = ctx.scheduleActivity('Never');
        act.cancel();
        const explicit = ctx.scheduleSubOrchestrationWithId('Waiter', `${ctx.instanceId}-x`);
        void ctx.scheduleSubOrchestration('Waiter');
        await ctx.scheduleTimer(1);
        explicit.cancel();
        await ctx.scheduleTimer(1);
        return 'dropped';
      });
    });
    const id = s.id('drop');
    expect((await s.run(id, 'Dropper')).output).toBe('dropped');
    const history = await s.history(id);
    expect(history.filter((e) => e.kind === 'ActivityCancelRequested')).toHaveLength(1);
    // One for explicit.cancel(), one for the unawaited child dropped at completion.
    expect(history.filter((e) => e.kind === 'SubOrchestrationCancelRequested')).toHaveLength(2);
    expect(await s.failed(`${id}-x`)).toMatch(/^canceled:/);
    const auto = String(
      history.find((e) => e.kind === 'SubOrchestrationScheduled' && e.instance !== `${id}-x`)?.instance,
    );
    // History may record the short automatic id (`sub::N`); the instance itself carries the parent prefix.
    const autoId = auto.startsWith('sub::') ? `${id}::${auto}` : auto;
    expect(await s.failed(autoId)).toMatch(/^canceled:/);
    expect(ran.get()).toBe(0);
  });
}
