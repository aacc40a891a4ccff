import { type ActivityContext, type ActivityHandler, Runtime, type RuntimeOptions } from '@duroxide/core';
import { describe, expect, it } from 'vitest';
import { activityItem, fakeEngine, fakeProvider, silentLogger, startedEvent, until } from './fakes.js';

function setup(options: RuntimeOptions = {}) {
  const fake = fakeProvider();
  const log = silentLogger();
  const rt = new Runtime(
    fake.provider,
    { orchestrationConcurrency: 0, workerConcurrency: 1, observability: { logger: log.logger }, ...options },
    fakeEngine().engine,
  );
  return { fake, rt, log };
}

describe('worker dispatcher', () => {
  it('runs the handler with JSON input and acks ActivityCompleted with JSON output', async () => {
    const { fake, rt } = setup();
    rt.registerActivity('Greet', async (_ctx, name: string) => ({ greeting: `Hello, ${name}!` }));
    await rt.start();
    fake.pushWork({ item: activityItem(), lockToken: 'w', attemptCount: 1 });
    await until(() => fake.provider.ackWorkItem.mock.calls.length === 1);
    expect(fake.provider.ackWorkItem).toHaveBeenCalledWith('w', {
      kind: 'ActivityCompleted',
      instance: 'inst-1',
      executionId: 1,
      id: 2,
      result: '{"greeting":"Hello, Ada!"}',
    });
    expect(rt.metricsSnapshot()).toMatchObject({ activitySuccess: 1, workerDispatcherItemsFetched: 1 });
    await rt.shutdown();
  });

  it('runs more than ten activities at once without a MaxListeners warning', async () => {
    const { fake, rt } = setup({ workerConcurrency: 12 });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let running = 0;
    rt.registerActivity('Greet', async () => {
      running += 1;
      await gate;
      return null;
    });
    try {
      await rt.start();
      for (let i = 0; i < 12; i++) {
        fake.pushWork({ item: activityItem({ id: i + 1 }), lockToken: `w${i}`, attemptCount: 1 });
      }
      await until(() => running === 12);
      release();
      await until(() => fake.provider.ackWorkItem.mock.calls.length === 12);
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      await rt.shutdown();
    }
  });

  it('records a throwing handler as an application ActivityFailed with the error message', async () => {
    const { fake, rt } = setup();
    rt.registerActivity('Greet', () => {
      throw new Error('card declined');
    });
    await rt.start();
    fake.pushWork({ item: activityItem(), lockToken: 'w', attemptCount: 1 });
    await until(() => fake.provider.ackWorkItem.mock.calls.length === 1);
    expect(fake.provider.ackWorkItem.mock.calls[0]?.[1]).toMatchObject({
      kind: 'ActivityFailed',
      details: {
        category: 'application',
        kind: { type: 'ActivityFailed' },
        message: 'card declined',
        retryable: false,
      },
    });
    expect(rt.metricsSnapshot().activityAppErrors).toBe(1);
    await rt.shutdown();
  });

  it('fails an output that is not JSON-serializable', async () => {
    const { fake, rt } = setup();
    rt.registerActivity('Greet', async () => 10n);
    await rt.start();
    fake.pushWork({ item: activityItem(), lockToken: 'w', attemptCount: 1 });
    await until(() => fake.provider.ackWorkItem.mock.calls.length === 1);
    expect(fake.provider.ackWorkItem.mock.calls[0]?.[1]).toMatchObject({
      kind: 'ActivityFailed',
      details: { message: expect.stringContaining("activity 'Greet' output is not JSON-serializable") },
    });
    await rt.shutdown();
  });

  it('gives the handler a complete ActivityContext', async () => {
    const { fake, rt } = setup({ workerTagFilter: 'any' });
    fake.setHistory('inst-1', 3, [
      startedEvent('inst-1', { name: 'Order', version: '2.1.0', executionId: 3 }),
    ]);
    let seen: ActivityContext | undefined;
    rt.registerActivity('Greet', (ctx) => {
      seen = ctx;
      ctx.traceInfo('working');
      return null;
    });
    await rt.start();
    fake.pushWork({
      item: activityItem({ executionId: 3, id: 9, sessionId: 's1', tag: 'gpu' }),
      lockToken: 'w',
      attemptCount: 1,
    });
    await until(() => fake.provider.ackWorkItem.mock.calls.length === 1);
    expect(seen).toMatchObject({
      instanceId: 'inst-1',
      executionId: 3,
      orchestrationName: 'Order',
      orchestrationVersion: '2.1.0',
      activityName: 'Greet',
      activityId: 9,
      sessionId: 's1',
    });
    expect(seen?.workerId).toMatch(/^work-0-[0-9a-f]{4}$/);
    expect(seen?.tag()).toBe('gpu');
    expect(seen?.isCancelled()).toBe(false);
    expect(seen?.signal.aborted).toBe(false);
    expect(seen?.getClient().provider).toBe(fake.provider);
    await rt.shutdown();
  });

  it("reports 'unknown' orchestration identity when the history has no start event", async () => {
    const { fake, rt } = setup();
    let name = '';
    rt.registerActivity('Greet', (ctx) => {
      name = `${ctx.orchestrationName}@${ctx.orchestrationVersion}`;
      return null;
    });
    await rt.start();
    fake.pushWork({ item: activityItem(), lockToken: 'w', attemptCount: 1 });
    await until(() => fake.provider.ackWorkItem.mock.calls.length === 1);
    expect(name).toBe('unknown@unknown');
    await rt.shutdown();
  });

  it('acks ActivityFailed(Poison) once attempts exceed maxAttempts', async () => {
    const { fake, rt } = setup({ maxAttempts: 2 });
    let ran = false;
    rt.registerActivity('Greet', () => {
      ran = true;
    });
    await rt.start();
    fake.pushWork({ item: activityItem(), lockToken: 'w', attemptCount: 3 });
    await until(() => fake.provider.ackWorkItem.mock.calls.length === 1);
    expect(fake.provider.ackWorkItem.mock.calls[0]?.[1]).toMatchObject({
      kind: 'ActivityFailed',
      details: {
        category: 'poison',
        attemptCount: 3,
        maxAttempts: 2,
        messageType: { type: 'Activity', activityName: 'Greet', activityId: 2 },
      },
    });
    expect(ran).toBe(false);
    expect(rt.metricsSnapshot().activityPoison).toBe(1);
    await rt.shutdown();
  });

  it('abandons an unregistered activity with the unregistered backoff', async () => {
    const { fake, rt } = setup({ unregisteredBackoff: { baseDelayMs: 5, maxDelayMs: 100 } });
    await rt.start();
    fake.pushWork({ item: activityItem({ name: 'Nobody' }), lockToken: 'w', attemptCount: 7 });
    await until(() => fake.provider.abandonWorkItem.mock.calls.length === 1);
    expect(fake.provider.abandonWorkItem).toHaveBeenCalledWith('w', { delayMs: 100 });
    expect(rt.metricsSnapshot().activityConfigErrors).toBe(1);
    await rt.shutdown();
  });

  it('cancels a running activity when lock renewal fails: aborts the signal and drops the result', async () => {
    const { fake, rt } = setup({ workerLockTimeoutMs: 40, sessionIdleTimeoutMs: 60_000 });
    fake.provider.renewWorkItemLock.mockRejectedValue(new Error('work item not found'));
    let reason: unknown;
    const handler: ActivityHandler = (ctx) =>
      new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          reason = ctx.signal.reason;
          resolve(ctx.isCancelled() ? 'stopped' : 'unexpected');
        });
      });
    rt.registerActivity('Greet', handler);
    await rt.start();
    fake.pushWork({ item: activityItem(), lockToken: 'w', attemptCount: 1 });
    await until(() => fake.provider.ackWorkItem.mock.calls.length === 1);
    expect(fake.provider.ackWorkItem).toHaveBeenCalledWith('w', null);
    expect((reason as Error).name).toBe('AbortError');
    expect(rt.metricsSnapshot()).toMatchObject({ activityCancelled: 1, activitySuccess: 0 });
    await rt.shutdown();
  });

  it('frees the slot after the grace period when a cancelled handler never returns', async () => {
    const { fake, rt, log } = setup({
      workerLockTimeoutMs: 40,
      activityCancellationGracePeriodMs: 30,
      sessionIdleTimeoutMs: 60_000,
    });
    fake.provider.renewWorkItemLock.mockRejectedValue(new Error('work item not found'));
    rt.registerActivity('Greet', () => new Promise(() => {}));
    await rt.start();
    fake.pushWork({ item: activityItem(), lockToken: 'w', attemptCount: 1 });
    await until(() => fake.provider.ackWorkItem.mock.calls.length === 1);
    expect(fake.provider.ackWorkItem).toHaveBeenCalledWith('w', null);
    expect(log.lines.some((l) => l.message.includes('past the grace period'))).toBe(true);
    const began = performance.now();
    await rt.shutdown();
    expect(performance.now() - began).toBeLessThan(50);
  });

  it('abandons (100 ms) when the completion cannot be acked', async () => {
    const { fake, rt } = setup();
    fake.provider.ackWorkItem.mockRejectedValue(new Error('row gone'));
    rt.registerActivity('Greet', () => 1);
    await rt.start();
    fake.pushWork({ item: activityItem(), lockToken: 'w', attemptCount: 1 });
    await until(() => fake.provider.abandonWorkItem.mock.calls.length === 1);
    expect(fake.provider.abandonWorkItem).toHaveBeenCalledWith('w', { delayMs: 100 });
    expect(rt.metricsSnapshot().activityInfraErrors).toBe(1);
    await rt.shutdown();
  });

  it('shutdown waits for an in-flight activity and returns as soon as it is done', async () => {
    const { fake, rt } = setup();
    let finish: () => void = () => {};
    rt.registerActivity('Greet', () => new Promise<string>((resolve) => (finish = () => resolve('ok'))));
    await rt.start();
    fake.pushWork({ item: activityItem(), lockToken: 'w', attemptCount: 1 });
    await until(
      () =>
        fake.provider.fetchWorkItem.mock.calls.length === 1 &&
        rt.metricsSnapshot().workerDispatcherItemsFetched === 1,
    );
    const stopping = rt.shutdown(10_000);
    setTimeout(() => finish(), 30);
    const began = performance.now();
    await stopping;
    const took = performance.now() - began;
    expect(fake.provider.ackWorkItem).toHaveBeenCalledWith('w', expect.objectContaining({ result: '"ok"' }));
    expect(took).toBeLessThan(500);
  });

  it('past the shutdown deadline, aborts the activity and hands it back without counting the attempt', async () => {
    const { fake, rt } = setup();
    rt.registerActivity(
      'Greet',
      (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('x'))),
    );
    await rt.start();
    fake.pushWork({ item: activityItem(), lockToken: 'w', attemptCount: 1 });
    await until(() => rt.metricsSnapshot().workerDispatcherItemsFetched === 1);
    await rt.shutdown(20);
    await until(() => fake.provider.abandonWorkItem.mock.calls.length === 1);
    expect(fake.provider.abandonWorkItem).toHaveBeenCalledWith('w', { ignoreAttempt: true });
    expect(fake.provider.ackWorkItem).not.toHaveBeenCalled();
  });

  it('limits distinct sessions per runtime and fetches without session config at capacity', async () => {
    const { fake, rt } = setup({ maxSessionsPerRuntime: 1, workerConcurrency: 2 });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    rt.registerActivity('Greet', (ctx) => (ctx.sessionId === 'A' ? gate : 'plain'));
    await rt.start();
    await until(() => fake.provider.fetchWorkItem.mock.calls.length === 2);
    fake.pushWork({ item: activityItem({ sessionId: 'A' }), lockToken: 'a', attemptCount: 1 });
    await until(() => rt.metricsSnapshot().workerDispatcherItemsFetched === 1);
    // The other slot runs a plain item, then fetches again while session A holds the only session slot.
    fake.pushWork({ item: activityItem({ id: 4 }), lockToken: 'c', attemptCount: 1 });
    await until(() => fake.provider.fetchWorkItem.mock.calls.length === 3);
    const sessionArgs = fake.provider.fetchWorkItem.mock.calls.map((c) => (c as unknown[])[2]);
    expect(sessionArgs[0]).toMatchObject({
      ownerId: expect.stringMatching(/^work-\d-/),
      lockTimeoutMs: 30_000,
    });
    expect(sessionArgs[2]).toBeNull();
    // A second session's item arriving through a racing fetch is handed back without counting the attempt.
    fake.pushWork({ item: activityItem({ sessionId: 'B', id: 5 }), lockToken: 'b', attemptCount: 1 });
    await until(() => fake.provider.abandonWorkItem.mock.calls.length === 1);
    expect(fake.provider.abandonWorkItem).toHaveBeenCalledWith('b', { delayMs: 100, ignoreAttempt: true });
    release();
    await rt.shutdown();
  });

  it('heartbeats owned sessions and sweeps orphaned ones in the background', async () => {
    const { fake, rt } = setup({
      workerConcurrency: 2,
      workerNodeId: 'pod-7',
      workerLockTimeoutMs: 1_000,
      sessionLockTimeoutMs: 100,
      sessionIdleTimeoutMs: 2_000,
      sessionCleanupIntervalMs: 60,
    });
    await rt.start();
    await until(
      () =>
        fake.provider.renewSessionLock.mock.calls.length >= 1 &&
        fake.provider.cleanupOrphanedSessions.mock.calls.length >= 1,
    );
    expect(fake.provider.renewSessionLock).toHaveBeenCalledWith(['pod-7'], 100, 2_000);
    expect(fake.provider.cleanupOrphanedSessions).toHaveBeenCalledWith(2_000);
    await rt.shutdown();
    const renewals = fake.provider.renewSessionLock.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(fake.provider.renewSessionLock.mock.calls.length).toBe(renewals);
  });
});
