import {
  Client,
  type OrchestrationAck,
  type Provider,
  ProviderError,
  Runtime,
  type RuntimeOptions,
  type TurnEngine,
  turnEngine,
} from '@duroxide/core';
import { SqliteProvider } from '@duroxide/provider-sqlite';
import { afterEach, describe, expect, it } from 'vitest';

// The runtime half of the instance cache: turns resume cached orchestrations, and anything that may have
// changed the instance behind this runtime's back (another runtime's turn, a failed ack) drops the entry.

const QUIET: RuntimeOptions = {
  dispatcherMinPollIntervalMs: 10,
  orchestratorLockTimeoutMs: 1_000,
  orchestratorLockRenewalBufferMs: 300,
  observability: { logLevel: 'off', traceLevel: 'off' },
};

/** The default engine, counting how turns ran. */
function countingEngine(): { engine: TurnEngine; counts: { resumed: number; replayed: number } } {
  const counts = { resumed: 0, replayed: 0 };
  const engine: TurnEngine = {
    prepareTurn: turnEngine.prepareTurn,
    executeTurn: async (prepared, execution) => {
      counts.replayed += 1;
      return turnEngine.executeTurn(prepared, execution);
    },
    resumeTurn: async (suspended, prepared, execution) => {
      const outcome = await turnEngine.resumeTurn!(suspended, prepared, execution);
      if (outcome !== null) counts.resumed += 1;
      return outcome;
    },
  };
  return { engine, counts };
}

function register(rt: Runtime): Runtime {
  rt.registerActivity('Inc', async (_ctx, n: number) => n + 1);
  rt.registerOrchestration('Chain', async (ctx, n: number) => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc = await ctx.scheduleActivity<number>('Inc', acc);
    return acc;
  });
  return rt;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function runtimeOn(provider: Provider, options: RuntimeOptions, engine?: TurnEngine): Promise<Runtime> {
  const rt = register(new Runtime(provider, { ...QUIET, ...options }, engine));
  await rt.start();
  cleanup.push(() => rt.shutdown(2_000));
  return rt;
}

async function memoryProvider(wrap?: (p: SqliteProvider) => Provider): Promise<Provider> {
  const p = await SqliteProvider.inMemory();
  cleanup.push(() => p.close());
  return wrap ? wrap(p) : p;
}

describe('instance cache in the runtime', () => {
  it('resumes every turn after the first of a chain, and replays every turn with the cache off', async () => {
    for (const [size, expectResumed] of [
      [1_000, 30],
      [0, 0],
    ] as const) {
      const provider = await memoryProvider();
      const { engine, counts } = countingEngine();
      await runtimeOn(provider, { instanceCacheSize: size }, engine);
      const client = new Client(provider);
      await client.startOrchestration('chain', 'Chain', 30);
      expect(await client.waitForOrchestration('chain', 10_000)).toMatchObject({ output: 30 });
      expect(counts.resumed).toBe(expectResumed);
      expect(counts.replayed).toBe(31 - expectResumed);
    }
  });

  it('keeps at most instanceCacheSize orchestrations: older ones replay', async () => {
    const provider = await memoryProvider();
    const { engine, counts } = countingEngine();
    const rt = new Runtime(provider, { ...QUIET, instanceCacheSize: 1 }, engine);
    rt.registerActivity('Inc', async (_ctx, n: number) => n + 1);
    rt.registerOrchestration('Wait', async (ctx) => ctx.waitForEvent<number>('go'));
    await rt.start();
    cleanup.push(() => rt.shutdown(2_000));
    const client = new Client(provider);
    for (const id of ['w1', 'w2']) {
      await client.startOrchestration(id, 'Wait');
      await waitForKind(provider, id, 'ExternalSubscribed');
    }
    // w2's entry evicted w1's: w1 replays, w2 resumes.
    await client.raiseEvent('w1', 'go', 1);
    await client.waitForOrchestration('w1', 5_000);
    await client.raiseEvent('w2', 'go', 2);
    await client.waitForOrchestration('w2', 5_000);
    expect(counts).toEqual({ resumed: 1, replayed: 3 });
  });

  it('two runtimes taking turns on one store finish a chain correctly (stale entries are refused)', async () => {
    const provider = await memoryProvider();
    const a = countingEngine();
    const b = countingEngine();
    await runtimeOn(provider, { orchestrationConcurrency: 1, workerConcurrency: 1 }, a.engine);
    await runtimeOn(provider, { orchestrationConcurrency: 1, workerConcurrency: 1 }, b.engine);
    const client = new Client(provider);
    await client.startOrchestration('shared', 'Chain', 40);
    expect(await client.waitForOrchestration('shared', 10_000)).toMatchObject({ output: 40 });
    const history = await provider.read('shared');
    expect(history.map((e) => e.eventId)).toEqual(history.map((_, i) => i + 1));
    expect(history.filter((e) => e.kind === 'ActivityScheduled')).toHaveLength(40);
    expect(a.counts.resumed + a.counts.replayed + b.counts.resumed + b.counts.replayed).toBe(41);
  });

  it('a turn whose ack failed drops the entry: the redelivered batch replays and completes once', async () => {
    let failing = 0;
    let acks = 0;
    const provider = await memoryProvider(
      (p) =>
        new Proxy(p, {
          get(target, prop, receiver) {
            if (prop === 'ackOrchestrationItem') {
              return async (token: string, ack: OrchestrationAck) => {
                acks += 1;
                // The 4th turn's ack and its infrastructure-failure fallback both fail: the batch is abandoned.
                if (acks === 4 || failing > 0) {
                  failing = failing === 0 ? 1 : 0;
                  throw ProviderError.permanent('ackOrchestrationItem', 'injected: lock lost');
                }
                return target.ackOrchestrationItem(token, ack);
              };
            }
            const value = Reflect.get(target, prop, receiver);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    );
    const { engine, counts } = countingEngine();
    await runtimeOn(provider, { orchestrationConcurrency: 1, workerConcurrency: 1 }, engine);
    const client = new Client(provider);
    await client.startOrchestration('flaky', 'Chain', 6);
    expect(await client.waitForOrchestration('flaky', 10_000)).toMatchObject({ output: 6 });
    const history = await provider.read('flaky');
    expect(history.filter((e) => e.kind === 'ActivityScheduled')).toHaveLength(6);
    expect(history.map((e) => e.eventId)).toEqual(history.map((_, i) => i + 1));
    // Turns 1 and the retried 4th replay (the failed 4th resumed but never committed); the rest resume.
    expect(counts.replayed).toBe(2);
    expect(counts.resumed).toBe(6);
  });
});

async function waitForKind(provider: Provider, id: string, kind: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await provider.read(id)).some((e) => e.kind === kind)) {
    if (Date.now() > deadline) throw new Error(`no ${kind} in ${id}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
