import {
  Client,
  DurableError,
  defineOrchestration,
  type Event,
  type TerminalStatus,
  TimeoutError,
} from '@duroxide/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { fakeProvider, startedEvent } from '../runtime/fakes.js';

interface Receipt {
  orderId: string;
  total: number;
}

const checkout = defineOrchestration(
  'Checkout',
  async (_ctx, order: { id: string }): Promise<Receipt> => ({ orderId: order.id, total: 1 }),
);
const generatorFlow = defineOrchestration('Flow', function* (_ctx, n: number) {
  yield null;
  return [n, String(n)] as const;
});

function completed(instance: string, name: string, output: unknown): Event[] {
  return [
    startedEvent(instance, { name }),
    {
      ...startedEvent(instance),
      eventId: 2,
      kind: 'OrchestrationCompleted',
      output: JSON.stringify(output),
    } as Event,
  ];
}

/** A client whose provider reports `history` as the instance's latest execution. */
function clientWith(history: Event[]): Client {
  const { provider } = fakeProvider();
  provider.waitForInstanceChange.mockImplementation(() => new Promise((resolve) => setTimeout(resolve, 2)));
  provider.read.mockResolvedValue(history);
  return new Client(provider);
}

describe('typed waitForOrchestration', () => {
  it('types output from the handle; the untyped forms keep their types', async () => {
    const client = clientWith(completed('o', 'Checkout', { orderId: 'o', total: 1 }));
    const typed = client.waitForOrchestration('o', checkout);
    expectTypeOf(typed).resolves.toEqualTypeOf<TerminalStatus<Receipt>>();
    expectTypeOf(client.waitForOrchestration('o', checkout, 5_000)).resolves.toEqualTypeOf<
      TerminalStatus<Receipt>
    >();
    const generator = client.waitForOrchestration('o', generatorFlow, 5_000);
    expectTypeOf(generator).resolves.toEqualTypeOf<TerminalStatus<readonly [number, string]>>();
    expectTypeOf(client.waitForOrchestration('o')).resolves.toEqualTypeOf<TerminalStatus<unknown>>();
    expectTypeOf(client.waitForOrchestration('o', 5_000)).resolves.toEqualTypeOf<TerminalStatus<unknown>>();
    expectTypeOf(client.waitForOrchestration<string>('o', 5_000)).resolves.toEqualTypeOf<
      TerminalStatus<string>
    >();
    // @ts-expect-error a timeout comes after the handle, not instead of the instance id
    const swapped = client.waitForOrchestration(checkout, 5_000);
    // @ts-expect-error the second argument is a handle or a timeout, not a name
    const named = client.waitForOrchestration('o', 'Checkout');
    // The same calls at run time: the right handle resolves, the wrong ones are rejected as bad input.
    expect((await typed).output).toEqual({ orderId: 'o', total: 1 });
    await expect(generator).rejects.toThrow(/runs orchestration 'Checkout', not 'Flow'/);
    await expect(swapped).rejects.toThrow(/^instanceId must be a non-empty string/);
    await expect(named).rejects.toThrow(/^timeoutMs must be a finite number/);
  });

  it('narrowing on Completed gives the orchestration output type', async () => {
    const client = clientWith(completed('o-1', 'Checkout', { orderId: 'o-1', total: 30 }));
    const status = await client.waitForOrchestration('o-1', checkout, 1_000);
    if (status.status !== 'Completed') throw new Error(`expected Completed, got ${status.status}`);
    expectTypeOf(status.output).toEqualTypeOf<Receipt>();
    expect(status.output.total).toBe(30);
    expect(status).toEqual({
      status: 'Completed',
      output: { orderId: 'o-1', total: 30 },
      customStatus: null,
      customStatusVersion: 0,
    });
  });

  it('rejects a handle of another orchestration, naming both', async () => {
    const client = clientWith(completed('o-2', 'Shipping', 'shipped'));
    const err = await client.waitForOrchestration('o-2', checkout, 1_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DurableError);
    expect((err as DurableError).code).toBe('INVALID_INPUT');
    expect((err as Error).message).toBe(
      "waitForOrchestration: instance 'o-2' runs orchestration 'Shipping', not 'Checkout'",
    );
  });

  it('honours the timeout after the handle and waits through NotFound (not started yet)', async () => {
    const client = clientWith([]);
    const err = await client.waitForOrchestration('o-3', checkout, 20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/instance 'o-3' did not finish within 20 ms/);
  });

  it('validates the handle and the timeout like the untyped form', async () => {
    const client = clientWith([]);
    const noName = { ...checkout, name: '' };
    await expect(client.waitForOrchestration('o', noName, 10)).rejects.toThrow(
      /orchestration handle name must be a non-empty string/,
    );
    await expect(client.waitForOrchestration('o', checkout, -1)).rejects.toThrow(
      /^timeoutMs must be a finite number >= 0/,
    );
  });
});
