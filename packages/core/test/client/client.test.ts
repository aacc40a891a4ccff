import {
  Client,
  cancelledFailure,
  DurableError,
  defineOrchestration,
  type Event,
  InstanceNotFoundError,
  type ProviderAdmin,
  ProviderError,
  TimeoutError,
} from '@duroxide/core';
import { describe, expect, it, vi } from 'vitest';
import { fakeProvider, startedEvent } from '../runtime/fakes.js';

function ev(eventId: number, kind: Record<string, unknown>): Event {
  return { ...startedEvent('i'), eventId, ...kind } as Event;
}

async function invalidInput(p: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DurableError);
  expect((err as DurableError).code).toBe('INVALID_INPUT');
  expect((err as DurableError).message).toMatch(message);
}

describe('Client instance control', () => {
  it('enqueues a start for execution 1 with JSON input, and pins the version when asked', async () => {
    const { provider } = fakeProvider();
    const client = new Client(provider);
    await client.startOrchestration('o-1', 'Order', { qty: 2 });
    await client.startOrchestrationVersioned('o-2', 'Order', null, '2.0.0');
    const hello = defineOrchestration('Hello', async (_ctx, name: string) => name, { version: '1.2.0' });
    await client.startOrchestration('o-3', hello, 'World');
    expect(provider.enqueueForOrchestrator.mock.calls.map((c) => (c as unknown[])[0])).toEqual([
      {
        kind: 'StartOrchestration',
        instance: 'o-1',
        orchestration: 'Order',
        input: '{"qty":2}',
        executionId: 1,
      },
      {
        kind: 'StartOrchestration',
        instance: 'o-2',
        orchestration: 'Order',
        input: 'null',
        executionId: 1,
        version: '2.0.0',
      },
      {
        kind: 'StartOrchestration',
        instance: 'o-3',
        orchestration: 'Hello',
        input: '"World"',
        executionId: 1,
        version: '1.2.0',
      },
    ]);
  });

  it('type-checks typed handles', async () => {
    const { provider } = fakeProvider();
    const client = new Client(provider);
    const double = defineOrchestration('Double', async (_ctx, n: number) => n * 2);
    await client.startOrchestration('d-1', double, 21);
    // @ts-expect-error the input must be a number
    await client.startOrchestration('d-2', double, 'not a number');
    const status = await client.getStatus<number>('d-1');
    const output: number | undefined = status.output;
    expect(output).toBeUndefined();
  });

  it('raises events, enqueues queue messages and cancels with a reason', async () => {
    const { provider } = fakeProvider();
    const client = new Client(provider);
    await client.raiseEvent('i', 'Approval', { ok: true });
    await client.enqueueEvent('i', 'inbox', 'hi');
    await client.cancelInstance('i', 'user asked');
    await client.cancelInstance('i');
    expect(provider.enqueueForOrchestrator.mock.calls.map((c) => (c as unknown[])[0])).toEqual([
      { kind: 'ExternalRaised', instance: 'i', name: 'Approval', data: '{"ok":true}' },
      { kind: 'QueueMessage', instance: 'i', name: 'inbox', data: '"hi"' },
      { kind: 'CancelInstance', instance: 'i', reason: 'user asked' },
      { kind: 'CancelInstance', instance: 'i', reason: 'cancelled by client' },
    ]);
  });

  it('rejects bad input with INVALID_INPUT before writing anything', async () => {
    const { provider } = fakeProvider();
    const client = new Client(provider);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await invalidInput(client.startOrchestration('', 'Order'), /^instanceId must be a non-empty string/);
    await invalidInput(client.startOrchestration('x', ''), /^orchestration name must be a non-empty string/);
    await invalidInput(
      client.startOrchestration('x', 'Order', 5n),
      /orchestration 'Order' input is not JSON-serializable/,
    );
    await invalidInput(client.startOrchestration('x', 'Order', cyclic), /is not JSON-serializable/);
    await invalidInput(
      client.startOrchestrationVersioned('x', 'Order', 1, 'latest'),
      /^version must be a semantic version/,
    );
    await invalidInput(client.raiseEvent('x', '', 1), /^eventName must be a non-empty string/);
    await invalidInput(
      client.raiseEvent('x', 'e', () => 1),
      /event 'e' data is not JSON-serializable/,
    );
    await invalidInput(
      client.enqueueEvent('x', 'q', Symbol('s')),
      /queue 'q' message is not JSON-serializable/,
    );
    await invalidInput(client.cancelInstance(''), /^instanceId must be/);
    await invalidInput(client.getStatus(''), /^instanceId must be/);
    await invalidInput(client.waitForOrchestration('x', -1), /^timeoutMs must be a finite number >= 0/);
    await invalidInput(client.getValue('x', ''), /^key must be/);
    expect(provider.enqueueForOrchestrator).not.toHaveBeenCalled();
  });

  it('rejects something that is not a provider', () => {
    expect(() => new Client(null as never)).toThrow(/expected a Provider/);
  });
});

describe('Client status', () => {
  it('derives the status from the latest execution history, scanning backwards', async () => {
    const { provider } = fakeProvider();
    const client = new Client(provider);
    provider.read.mockResolvedValueOnce([]);
    expect(await client.getStatus('i')).toEqual({
      status: 'NotFound',
      customStatus: null,
      customStatusVersion: 0,
    });

    provider.read.mockResolvedValueOnce([startedEvent('i')]);
    provider.getCustomStatus.mockResolvedValueOnce({ customStatus: 'step 2', version: 3 } as never);
    expect(await client.getStatus('i')).toEqual({
      status: 'Running',
      customStatus: 'step 2',
      customStatusVersion: 3,
    });

    provider.read.mockResolvedValueOnce([
      startedEvent('i'),
      ev(2, { kind: 'OrchestrationCompleted', output: '{"a":[1,2]}' }),
    ]);
    expect(await client.getStatus('i')).toEqual({
      status: 'Completed',
      output: { a: [1, 2] },
      customStatus: null,
      customStatusVersion: 0,
    });

    const details = cancelledFailure('user asked');
    provider.read.mockResolvedValueOnce([startedEvent('i'), ev(2, { kind: 'OrchestrationFailed', details })]);
    expect(await client.getStatus('i')).toMatchObject({
      status: 'Failed',
      error: 'canceled: user asked',
      failureDetails: details,
    });

    provider.read.mockResolvedValueOnce([
      startedEvent('i'),
      ev(2, { kind: 'OrchestrationContinuedAsNew', input: '1' }),
    ]);
    expect((await client.getStatus('i')).status).toBe('Running');
  });

  it('keeps the status when the custom status read fails', async () => {
    const { provider } = fakeProvider();
    provider.read.mockResolvedValueOnce([startedEvent('i')]);
    provider.getCustomStatus.mockRejectedValueOnce(new Error('boom'));
    expect(await new Client(provider).getStatus('i')).toEqual({
      status: 'Running',
      customStatus: null,
      customStatusVersion: 0,
    });
  });

  it('waitForOrchestration re-checks on every instance change and rejects with TimeoutError', async () => {
    const { provider } = fakeProvider();
    const client = new Client(provider);
    provider.waitForInstanceChange.mockImplementation(() => new Promise((resolve) => setTimeout(resolve, 5)));
    provider.read
      .mockResolvedValueOnce([startedEvent('i')])
      .mockResolvedValueOnce([startedEvent('i')])
      .mockResolvedValue([startedEvent('i'), ev(2, { kind: 'OrchestrationCompleted', output: '"done"' })]);
    const result = await client.waitForOrchestration<string>('i', 1_000);
    expect(result.output).toBe('done');
    expect(provider.waitForInstanceChange.mock.calls.length).toBeGreaterThanOrEqual(2);

    provider.read.mockResolvedValue([startedEvent('i')]);
    const err = await client.waitForOrchestration('i', 30).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).message).toMatch(/did not finish within 30 ms/);
  });

  it('waitForOrchestration reads the custom status once, when the instance is terminal', async () => {
    const { provider } = fakeProvider();
    provider.read
      .mockResolvedValueOnce([startedEvent('i')])
      .mockResolvedValueOnce([startedEvent('i')])
      .mockResolvedValue([
        startedEvent('i'),
        ev(2, { kind: 'OrchestrationFailed', details: cancelledFailure('x') }),
      ]);
    provider.getCustomStatus.mockResolvedValue({ customStatus: 'last words', version: 2 } as never);
    const result = await new Client(provider).waitForOrchestration('i', 1_000);
    expect(result).toMatchObject({
      status: 'Failed',
      error: 'canceled: x',
      customStatus: 'last words',
      customStatusVersion: 2,
    });
    expect(provider.read).toHaveBeenCalledTimes(3);
    expect(provider.getCustomStatus).toHaveBeenCalledTimes(1);
  });

  it('waitForValue returns the value once present and times out otherwise', async () => {
    const { provider } = fakeProvider();
    const client = new Client(provider);
    provider.waitForInstanceChange.mockImplementation(() => new Promise((resolve) => setTimeout(resolve, 5)));
    provider.getKvValue.mockResolvedValueOnce(null).mockResolvedValueOnce('v' as never);
    expect(await client.waitForValue('i', 'k', 1_000)).toBe('v');
    provider.getKvValue.mockResolvedValue(null);
    await expect(client.waitForValue('i', 'k', 20)).rejects.toThrow(TimeoutError);
  });
});

describe('Client management', () => {
  it('reports MANAGEMENT_NOT_AVAILABLE without the capability', async () => {
    const { provider } = fakeProvider();
    const err = await new Client(provider).listAllInstances().catch((e: unknown) => e);
    expect((err as DurableError).code).toBe('MANAGEMENT_NOT_AVAILABLE');
  });

  it('translates delete errors and checks the instance first', async () => {
    const { provider } = fakeProvider();
    const info = vi.fn();
    const admin = {
      getInstanceInfo: info,
      deleteInstance: vi.fn(async () => ({
        instancesDeleted: 1,
        executionsDeleted: 1,
        eventsDeleted: 3,
        queueMessagesDeleted: 0,
      })),
    } as unknown as ProviderAdmin;
    provider.asManagementCapability.mockReturnValue(admin as never);
    const client = new Client(provider);
    const base = {
      orchestrationName: 'O',
      orchestrationVersion: '1.0.0',
      currentExecutionId: 1,
      output: null,
      createdAt: 1,
      updatedAt: 1,
    };

    info.mockRejectedValueOnce(ProviderError.permanent('getInstanceInfo', "instance 'x' not found"));
    await expect(client.deleteInstance('x')).rejects.toBeInstanceOf(InstanceNotFoundError);

    info.mockResolvedValueOnce({ ...base, instanceId: 'c', status: 'Completed', parentInstanceId: 'p' });
    await expect(client.deleteInstance('c')).rejects.toMatchObject({
      code: 'CANNOT_DELETE_SUB_ORCHESTRATION',
    });

    info.mockResolvedValueOnce({ ...base, instanceId: 'r', status: 'Running', parentInstanceId: null });
    await expect(client.deleteInstance('r')).rejects.toMatchObject({ code: 'INSTANCE_STILL_RUNNING' });

    info.mockResolvedValueOnce({ ...base, instanceId: 'r', status: 'Running', parentInstanceId: null });
    expect(await client.deleteInstance('r', true)).toMatchObject({ instancesDeleted: 1 });

    info.mockResolvedValueOnce({
      ...base,
      instanceId: 'i',
      status: 'Completed',
      output: '{"n":1}',
      parentInstanceId: null,
    });
    expect((await client.getInstanceInfo('i')).output).toEqual({ n: 1 });
    await expect(client.listInstancesByStatus('Done' as never)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});
