import {
  type FetchedOrchestrationItem,
  type OrchestrationAck,
  ProviderError,
  Runtime,
  type RuntimeOptions,
  type TurnEngine,
} from '@duroxide/core';
import { describe, expect, it } from 'vitest';
import { fakeEngine, fakeProvider, orchestrationItem, silentLogger, startedEvent, until } from './fakes.js';

const noop = async () => null;

function setup(options: RuntimeOptions = {}, engine: TurnEngine = fakeEngine().engine) {
  const fake = fakeProvider();
  const log = silentLogger();
  const rt = new Runtime(
    fake.provider,
    { workerConcurrency: 0, orchestrationConcurrency: 1, observability: { logger: log.logger }, ...options },
    engine,
  );
  rt.registerOrchestration('Flow', noop);
  return { fake, rt, log };
}

function ackOf(call: unknown[] | undefined): OrchestrationAck {
  return call?.[1] as OrchestrationAck;
}

describe('orchestration dispatcher', () => {
  it('fails an instance as poison after maxAttempts and tells its parent, with the parent execution id', async () => {
    const { fake, rt } = setup({ maxAttempts: 3 });
    await rt.start();
    const history = [startedEvent('child', { parentInstance: 'parent', parentId: 4, parentExecutionId: 7 })];
    fake.pushOrchestration({
      item: orchestrationItem('child', {
        history,
        messages: [{ kind: 'CancelInstance', instance: 'child', reason: 'x' }],
      }),
      lockToken: 't',
      attemptCount: 4,
    });
    await until(() => fake.provider.ackOrchestrationItem.mock.calls.length === 1);
    const ack = ackOf(fake.provider.ackOrchestrationItem.mock.calls[0]);
    expect(ack.historyDelta).toHaveLength(1);
    expect(ack.historyDelta[0]).toMatchObject({
      eventId: 2,
      kind: 'OrchestrationFailed',
      details: {
        category: 'poison',
        attemptCount: 4,
        maxAttempts: 3,
        messageType: { type: 'Orchestration', instance: 'child', executionId: 1 },
      },
    });
    expect(ack.metadata.status).toBe('Failed');
    expect(ack.metadata.output).toBe('poison: orchestration child exceeded 4 attempts (max 3)');
    expect(ack.orchestratorItems).toEqual([
      expect.objectContaining({
        kind: 'SubOrchFailed',
        parentInstance: 'parent',
        parentId: 4,
        parentExecutionId: 7,
      }),
    ]);
    expect(rt.metricsSnapshot().orchPoison).toBe(1);
    await rt.shutdown();
  });

  it('synthesizes OrchestrationStarted when a poisoned instance never ran', async () => {
    const { fake, rt } = setup({ maxAttempts: 1 });
    await rt.start();
    fake.pushOrchestration({ item: orchestrationItem('new'), lockToken: 't', attemptCount: 2 });
    await until(() => fake.provider.ackOrchestrationItem.mock.calls.length === 1);
    const ack = ackOf(fake.provider.ackOrchestrationItem.mock.calls[0]);
    expect(ack.historyDelta.map((e) => [e.eventId, e.kind])).toEqual([
      [1, 'OrchestrationStarted'],
      [2, 'OrchestrationFailed'],
    ]);
    expect(ack.historyDelta[0]).toMatchObject({ name: 'Flow', version: '1.0.0', input: '"x"' });
    expect(ack.metadata.pinnedDuroxideVersion).toBeDefined();
    await rt.shutdown();
  });

  it('abandons a missing orchestration with the unregistered backoff, attempt counted', async () => {
    const { fake, rt, log } = setup({ unregisteredBackoff: { baseDelayMs: 10, maxDelayMs: 1_000 } });
    await rt.start();
    fake.pushOrchestration({
      item: orchestrationItem('i', { orchestrationName: 'Missing' }),
      lockToken: 't',
      attemptCount: 3,
    });
    await until(() => fake.provider.abandonOrchestrationItem.mock.calls.length === 1);
    expect(fake.provider.abandonOrchestrationItem).toHaveBeenCalledWith('t', { delayMs: 40 });
    expect(fake.provider.ackOrchestrationItem).not.toHaveBeenCalled();
    expect(log.lines.some((l) => l.level === 'warn' && l.fields?.remainingAttempts === 7)).toBe(true);
    await rt.shutdown();
  });

  it('retries an unreadable history after 1 s, then poisons it with the sentinel event id', async () => {
    const { fake, rt } = setup({ maxAttempts: 2 });
    await rt.start();
    const item = orchestrationItem('bad', { historyError: 'bad json at event 3' });
    fake.pushOrchestration({ item, lockToken: 't1', attemptCount: 2 });
    await until(() => fake.provider.abandonOrchestrationItem.mock.calls.length === 1);
    expect(fake.provider.abandonOrchestrationItem).toHaveBeenCalledWith('t1', { delayMs: 1_000 });
    fake.pushOrchestration({ item, lockToken: 't2', attemptCount: 3 });
    await until(() => fake.provider.ackOrchestrationItem.mock.calls.length === 1);
    const ack = ackOf(fake.provider.ackOrchestrationItem.mock.calls[0]);
    expect(ack.historyDelta[0]).toMatchObject({
      eventId: 99_999,
      kind: 'OrchestrationFailed',
      details: {
        category: 'poison',
        messageType: { type: 'FailedDeserialization', error: 'bad json at event 3' },
      },
    });
    await rt.shutdown();
  });

  it('acks ackOnly batches without resolving a handler', async () => {
    const ack: OrchestrationAck = {
      executionId: 1,
      historyDelta: [],
      workerItems: [],
      orchestratorItems: [],
      metadata: {},
      cancelledActivities: [],
    };
    const { engine, executions } = fakeEngine(() => ({ type: 'ackOnly', reason: 'terminal', ack }));
    const { fake, rt } = setup({}, engine);
    await rt.start();
    fake.pushOrchestration({
      item: orchestrationItem('done', { orchestrationName: 'Missing' }),
      lockToken: 't',
      attemptCount: 50,
    });
    await until(() => fake.provider.ackOrchestrationItem.mock.calls.length === 1);
    expect(fake.provider.ackOrchestrationItem).toHaveBeenCalledWith('t', ack);
    expect(executions).toHaveLength(0);
    await rt.shutdown();
  });

  it('retries retryable ack errors and then commits the turn', async () => {
    const { fake, rt } = setup();
    fake.provider.ackOrchestrationItem
      .mockRejectedValueOnce(ProviderError.retryable('ackOrchestrationItem', 'database is locked'))
      .mockRejectedValueOnce(ProviderError.retryable('ackOrchestrationItem', 'database is locked'));
    await rt.start();
    fake.pushOrchestration({ item: orchestrationItem('i'), lockToken: 't', attemptCount: 1 });
    await until(() => rt.metricsSnapshot().orchCompletions === 1);
    expect(fake.provider.ackOrchestrationItem).toHaveBeenCalledTimes(3);
    expect(rt.metricsSnapshot().providerErrors).toBe(2);
    await rt.shutdown();
  });

  it('commits an Infrastructure failure when the turn cannot be committed', async () => {
    const { fake, rt } = setup();
    fake.provider.ackOrchestrationItem.mockRejectedValueOnce(
      ProviderError.permanent('ackOrchestrationItem', 'payload too large'),
    );
    await rt.start();
    fake.pushOrchestration({ item: orchestrationItem('i'), lockToken: 't', attemptCount: 1 });
    await until(() => fake.provider.ackOrchestrationItem.mock.calls.length === 2);
    const ack = ackOf(fake.provider.ackOrchestrationItem.mock.calls[1]);
    expect(ack.historyDelta.map((e) => e.kind)).toEqual(['OrchestrationStarted', 'OrchestrationFailed']);
    expect(ack.historyDelta[1]).toMatchObject({
      details: { category: 'infrastructure', operation: 'ackOrchestrationItem' },
    });
    expect(ack.metadata.status).toBe('Failed');
    await until(() => rt.metricsSnapshot().orchInfrastructureErrors === 1);
    expect(rt.metricsSnapshot().orchCompletions).toBe(0);
    await rt.shutdown();
  });

  it('abandons when even the failure cannot be committed', async () => {
    const { fake, rt } = setup();
    fake.provider.ackOrchestrationItem.mockRejectedValue(
      ProviderError.permanent('ackOrchestrationItem', 'lock lost'),
    );
    await rt.start();
    fake.pushOrchestration({ item: orchestrationItem('i'), lockToken: 't', attemptCount: 1 });
    await until(() => fake.provider.abandonOrchestrationItem.mock.calls.length === 1);
    expect(fake.provider.abandonOrchestrationItem).toHaveBeenCalledWith('t', { delayMs: 50 });
    await rt.shutdown();
  });

  it('abandons a batch pinned to a runtime version outside the supported range', async () => {
    const { fake, rt } = setup({ supportedReplayVersions: [{ min: '0.0.0', max: '0.0.9' }] });
    await rt.start();
    const history = [startedEvent('i', { duroxideVersion: '0.5.0' })];
    fake.pushOrchestration({ item: orchestrationItem('i', { history }), lockToken: 't', attemptCount: 1 });
    await until(() => fake.provider.abandonOrchestrationItem.mock.calls.length === 1);
    expect(fake.provider.abandonOrchestrationItem).toHaveBeenCalledWith('t', { delayMs: 1_000 });
    await rt.shutdown();
  });

  it('backs off after fetch errors and keeps running', async () => {
    const { fake, rt } = setup();
    fake.provider.fetchOrchestrationItem
      .mockRejectedValueOnce(ProviderError.retryable('fetchOrchestrationItem', 'busy'))
      .mockRejectedValueOnce(ProviderError.permanent('fetchOrchestrationItem', 'broken'));
    await rt.start();
    const began = Date.now();
    fake.pushOrchestration({ item: orchestrationItem('i'), lockToken: 't', attemptCount: 1 });
    await until(() => rt.metricsSnapshot().orchCompletions === 1);
    // 100 ms after the retryable error (n = 0), then 100 ms after the permanent one.
    expect(Date.now() - began).toBeGreaterThanOrEqual(190);
    expect(rt.metricsSnapshot().providerErrors).toBe(2);
    await rt.shutdown();
  });

  it('shuts down at once when idle: pending long polls end with the stop signal and touch no later work', async () => {
    const { fake, rt } = setup({ orchestrationConcurrency: 2 });
    await rt.start();
    await until(() => fake.provider.fetchOrchestrationItem.mock.calls.length === 2);
    const began = performance.now();
    await rt.shutdown(10_000);
    expect(performance.now() - began).toBeLessThan(50);
    for (const call of fake.provider.fetchOrchestrationItem.mock.calls)
      expect(call[3]?.signal?.aborted).toBe(true);
    fake.pushOrchestration({ item: orchestrationItem('late'), lockToken: 'late-token', attemptCount: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fake.provider.fetchOrchestrationItem).toHaveBeenCalledTimes(2);
    expect(fake.provider.abandonOrchestrationItem).not.toHaveBeenCalled();
    expect(fake.provider.ackOrchestrationItem).not.toHaveBeenCalled();
  });

  it('hands back, before shutdown resolves, work a fetch locked while shutdown began', async () => {
    const { fake, rt } = setup({ orchestrationConcurrency: 1 });
    let deliver: (item: FetchedOrchestrationItem) => void = () => {};
    fake.provider.fetchOrchestrationItem.mockImplementationOnce(
      () => new Promise<FetchedOrchestrationItem | null>((resolve) => (deliver = resolve)),
    );
    await rt.start();
    await until(() => fake.provider.fetchOrchestrationItem.mock.calls.length === 1);
    const stopped = rt.shutdown(10_000);
    deliver({ item: orchestrationItem('late'), lockToken: 'late-token', attemptCount: 1 });
    await stopped;
    expect(fake.provider.abandonOrchestrationItem).toHaveBeenCalledWith('late-token', {
      ignoreAttempt: true,
    });
    expect(fake.provider.ackOrchestrationItem).not.toHaveBeenCalled();
  });

  it('renews the instance lock while a long turn runs', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const base = fakeEngine();
    const engine: TurnEngine = {
      prepareTurn: base.engine.prepareTurn,
      executeTurn: async (prepared, execution) => {
        await gate;
        return base.engine.executeTurn(prepared, execution);
      },
    };
    const { fake, rt } = setup({ orchestratorLockTimeoutMs: 100 }, engine);
    await rt.start();
    fake.pushOrchestration({ item: orchestrationItem('slow'), lockToken: 't', attemptCount: 1 });
    await until(() => fake.provider.renewOrchestrationItemLock.mock.calls.length >= 2);
    expect(fake.provider.renewOrchestrationItemLock).toHaveBeenCalledWith('t', 100);
    release();
    await until(() => rt.metricsSnapshot().orchCompletions === 1);
    await rt.shutdown();
  });

  it('keeps an empty fetch cycle at least dispatcherMinPollIntervalMs long', async () => {
    const { fake, rt } = setup({ dispatcherMinPollIntervalMs: 60 });
    const calls: number[] = [];
    fake.provider.fetchOrchestrationItem.mockImplementation(async () => {
      calls.push(performance.now());
      return null;
    });
    await rt.start();
    await until(() => calls.length >= 3);
    await rt.shutdown();
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(55);
    expect(calls[2]! - calls[1]!).toBeGreaterThanOrEqual(55);
  });

  it('processes waiting work back to back, with no sleep between items', async () => {
    const { fake, rt } = setup({ dispatcherMinPollIntervalMs: 5_000 });
    for (let i = 0; i < 20; i += 1) {
      fake.pushOrchestration({ item: orchestrationItem(`b-${i}`), lockToken: `t${i}`, attemptCount: 1 });
    }
    const began = performance.now();
    await rt.start();
    await until(() => rt.metricsSnapshot().orchCompletions === 20);
    expect(performance.now() - began).toBeLessThan(1_000);
    await rt.shutdown();
  });
});
