/**
 * The code examples of packages/core/README.md and docs/migrating-from-duroxide-node.md, run for real on
 * in-memory SQLite so the documentation cannot rot. Each test names the section it mirrors; when an
 * example changes in the docs, change it here too (and the other way round).
 */
import {
  ActivityFailedError,
  Client,
  ConfigurationError,
  DurableError,
  defineActivity,
  defineOrchestration,
  ManualClock,
  type OutputOf,
  Runtime,
  type RuntimeOptions,
  TimeoutError,
} from '@duroxide/core';
import { SqliteProvider } from '@duroxide/provider-sqlite';
import { afterEach, describe, expect, it } from 'vitest';

/** Quiet, fast runtimes; the docs' examples use the defaults, which behave the same here. */
const QUIET: RuntimeOptions = { observability: { logLevel: 'off', traceLevel: 'off' } };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An in-memory provider, a started runtime with `register` applied, and a client. */
async function app(
  register: (runtime: Runtime) => void,
  options: RuntimeOptions = {},
  provider?: SqliteProvider,
): Promise<{ provider: SqliteProvider; runtime: Runtime; client: Client }> {
  const store = provider ?? (await SqliteProvider.inMemory());
  const runtime = new Runtime(store, { ...QUIET, ...options });
  cleanups.push(async () => {
    await runtime.shutdown();
    await store.close();
  });
  register(runtime);
  await runtime.start();
  return { provider: store, runtime, client: new Client(store) };
}

/** Resolves once `check` holds, re-checking every few ms (for effects outside the store). */
async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('packages/core/README.md', () => {
  it('Getting started', async () => {
    const provider = await SqliteProvider.inMemory();
    const runtime = new Runtime(provider, QUIET);

    runtime.registerActivity('Greet', async (_ctx, name: string) => `Hello, ${name}!`);
    runtime.registerOrchestration('Hello', async (ctx, name: string) => {
      const greeting = await ctx.scheduleActivity<string>('Greet', name);
      return greeting;
    });
    await runtime.start();

    const client = new Client(provider);
    await client.startOrchestration('hello-1', 'Hello', 'World');
    const result = await client.waitForOrchestration('hello-1', 5_000);
    expect(result).toEqual({
      status: 'Completed',
      output: 'Hello, World!',
      customStatus: null,
      customStatusVersion: 0,
    });

    await runtime.shutdown();
    await provider.close();
  });

  it('Determinism: awaiting a non-durable promise fails the instance', async () => {
    const { client } = await app((runtime) => {
      runtime.registerOrchestration('Sleepy', async (_ctx) => {
        await new Promise((resolve) => setTimeout(resolve, 10)); // wrong: not a durable task
        return 'never';
      });
    });
    await client.startOrchestration('sleepy-1', 'Sleepy');
    const status = await client.waitForOrchestration('sleepy-1', 5_000);
    expect(status.status).toBe('Failed');
    expect(status.error).toMatch(/^nondeterministic: .*non-durable promise/);
    expect(status.failureDetails).toMatchObject({ category: 'configuration', kind: 'Nondeterminism' });
  });

  it('Determinism: ctx.utcNow and ctx.newGuid are recorded and replay identically', async () => {
    const { client } = await app((runtime) => {
      runtime.registerOrchestration('Stamp', async (ctx) => {
        const startedAt = await ctx.utcNow();
        const orderId = await ctx.newGuid();
        await ctx.scheduleTimer(5); // another turn: the two values above are replayed, not re-read
        return { startedAt, orderId, sameOnReplay: (await ctx.utcNow()) >= startedAt };
      });
    });
    const before = Date.now();
    await client.startOrchestration('stamp-1', 'Stamp');
    const { output } = await client.waitForOrchestration<{
      startedAt: number;
      orderId: string;
      sameOnReplay: boolean;
    }>('stamp-1', 5_000);
    expect(output?.startedAt).toBeGreaterThanOrEqual(before);
    expect(output?.orderId).toMatch(/^[0-9a-f-]{36}$/);
    expect(output?.sameOnReplay).toBe(true);
  });

  it('Activities: the AbortSignal fires when the result is no longer wanted', async () => {
    const seen: string[] = [];
    const { client } = await app((runtime) => {
      runtime.registerActivity('WatchQueue', async (ctx) => {
        // Real code would pass ctx.signal to fetch() or a database client.
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        seen.push(`${ctx.activityName} aborted, isCancelled=${ctx.isCancelled()}`);
        return 'stopped';
      });
      runtime.registerOrchestration('Watch', async (ctx) => {
        const winner = await ctx.race(ctx.scheduleActivity('WatchQueue'), ctx.scheduleTimer(50));
        return winner.index; // 1: the timer won; the activity was cancelled
      });
    });
    await client.startOrchestration('watch-1', 'Watch');
    expect((await client.waitForOrchestration('watch-1', 5_000)).output).toBe(1);
    await eventually(() => seen.length === 1);
    expect(seen).toEqual(['WatchQueue aborted, isCancelled=true']);
  });

  it('Activities: getClient() gives a client over the same store', async () => {
    const { client } = await app((runtime) => {
      runtime.registerActivity('StartAudit', async (ctx, orderId: string) => {
        await ctx.getClient().startOrchestration(`audit-${orderId}`, 'Audit', orderId);
        return null;
      });
      runtime.registerOrchestration('Audit', async (_ctx, orderId: string) => {
        return `audited ${orderId}`;
      });
      runtime.registerOrchestration('Order', async (ctx, orderId: string) => {
        await ctx.scheduleActivity('StartAudit', orderId);
        return 'ok';
      });
    });
    await client.startOrchestration('order-7', 'Order', '7');
    await client.waitForOrchestration('order-7', 5_000);
    expect((await client.waitForOrchestration('audit-7', 5_000)).output).toBe('audited 7');
  });

  it('External events: the handshake pattern', async () => {
    const { client } = await app((runtime) => {
      runtime.registerOrchestration('Approval', async (ctx, item: string) => {
        ctx.setCustomStatus('waiting for approval'); // committed together with the subscription below
        const decision = await ctx.waitForEvent<{ approved: boolean }>('Decision');
        return decision.approved ? `approved ${item}` : `rejected ${item}`;
      });
    });
    await client.startOrchestration('req-1', 'Approval', 'laptop');
    await client.waitForStatusChange('req-1', 0); // the orchestration is now subscribed
    await client.raiseEvent('req-1', 'Decision', { approved: true });
    expect((await client.waitForOrchestration('req-1', 5_000)).output).toBe('approved laptop');
  });

  it('External events: an event raised before the subscription is dropped', async () => {
    const { client } = await app((runtime) => {
      runtime.registerActivity('Slow', async () => 'done');
      runtime.registerOrchestration('Late', async (ctx) => {
        await ctx.scheduleActivity('Slow');
        ctx.setCustomStatus('ready');
        return ctx.waitForEvent<string>('Go');
      });
    });
    await client.raiseEvent('late-1', 'Go', 'too early'); // before the instance even exists
    await client.startOrchestration('late-1', 'Late');
    await client.waitForStatusChange('late-1', 0);
    await client.raiseEvent('late-1', 'Go', 'on time');
    expect((await client.waitForOrchestration('late-1', 5_000)).output).toBe('on time');
  });

  it('Persistent queues buffer messages', async () => {
    const { client } = await app((runtime) => {
      runtime.registerOrchestration('Inbox', async (ctx) => {
        const first = await ctx.dequeueEvent<string>('inbox');
        const second = await ctx.dequeueEvent<string>('inbox');
        return [first, second];
      });
    });
    await client.startOrchestration('inbox-1', 'Inbox');
    await client.enqueueEvent('inbox-1', 'inbox', 'a'); // no handshake needed
    await client.enqueueEvent('inbox-1', 'inbox', 'b');
    expect((await client.waitForOrchestration('inbox-1', 5_000)).output).toEqual(['a', 'b']);
  });

  it('Sub-orchestrations and detached starts', async () => {
    const { client } = await app((runtime) => {
      runtime.registerOrchestration('Double', async (_ctx, n: number) => n * 2);
      runtime.registerOrchestration('Parent', async (ctx, n: number) => {
        const doubled = await ctx.scheduleSubOrchestration<number, number>('Double', n);
        const named = await ctx.scheduleSubOrchestrationWithId<number, number>(
          'Double',
          `${ctx.instanceId}-child`,
          doubled,
        );
        await ctx.startOrchestration('Double', `${ctx.instanceId}-detached`, 100); // fire and forget
        return named;
      });
    });
    await client.startOrchestration('parent-1', 'Parent', 5);
    expect((await client.waitForOrchestration('parent-1', 5_000)).output).toBe(20);
    expect((await client.waitForOrchestration('parent-1-child', 5_000)).output).toBe(20);
    expect((await client.waitForOrchestration('parent-1-detached', 5_000)).output).toBe(200);
    const tree = await client.getInstanceTree('parent-1');
    expect(tree.allIds).toContain('parent-1-child');
    expect(tree.allIds).not.toContain('parent-1-detached'); // detached: not a child
  });

  it('Composition: ctx.all fan-out / fan-in', async () => {
    const { client } = await app((runtime) => {
      runtime.registerActivity('Price', async (_ctx, sku: string) => {
        if (sku === 'ghost') throw new Error(`unknown sku ${sku}`);
        return sku.length;
      });
      runtime.registerOrchestration('Quote', async (ctx, skus: string[]) => {
        return ctx.all(skus.map((sku) => ctx.scheduleActivity<number>('Price', sku)));
      });
    });
    await client.startOrchestration('quote-1', 'Quote', ['pen', 'ghost', 'paper']);
    expect((await client.waitForOrchestration('quote-1', 5_000)).output).toEqual([
      { ok: 3 },
      { err: 'unknown sku ghost' },
      { ok: 5 },
    ]);
  });

  it('Composition: ctx.race with an async block, losers cancelled', async () => {
    const aborted: string[] = [];
    const { client } = await app((runtime) => {
      runtime.registerActivity('Reserve', async (_ctx, order: string) => `R-${order}`);
      runtime.registerActivity('Charge', async (_ctx, reservation: string) => {
        return `paid ${reservation}`;
      });
      runtime.registerActivity('Ship', async (ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        aborted.push('Ship');
        return null;
      });
      runtime.registerOrchestration('Checkout', async (ctx, order: string) => {
        const paid = await ctx.race(
          (async () => {
            const reservation = await ctx.scheduleActivity<string>('Reserve', order);
            return ctx.scheduleActivity<string>('Charge', reservation);
          })(),
          ctx.scheduleTimer(30_000),
        );
        if (paid.index === 1) return 'payment timed out';
        const shipped = await ctx.race(
          (async () => {
            await ctx.scheduleActivity('Ship', order); // never finishes here: it loses to the timer
            return 'shipped';
          })(),
          ctx.scheduleTimer(50),
        );
        return `${paid.value}; ${shipped.index === 0 ? shipped.value : 'shipping timed out'}`;
      });
    });
    await client.startOrchestration('checkout-1', 'Checkout', 'o1');
    expect((await client.waitForOrchestration('checkout-1', 5_000)).output).toBe(
      'paid R-o1; shipping timed out',
    );
    await eventually(() => aborted.length === 1); // the losing block's activity was cancelled
  });

  it('Composition: native Promise.all works too', async () => {
    const { client } = await app((runtime) => {
      runtime.registerActivity('Add', async (_ctx, [a, b]: [number, number]) => a + b);
      runtime.registerOrchestration('Sums', async (ctx) => {
        const [x, y] = await Promise.all([
          ctx.scheduleActivity<number>('Add', [1, 2]),
          ctx.scheduleActivity<number>('Add', [3, 4]),
        ]);
        return x + y;
      });
    });
    await client.startOrchestration('sums-1', 'Sums');
    expect((await client.waitForOrchestration('sums-1', 5_000)).output).toBe(10);
  });

  it('Retries: RetryPolicy', async () => {
    let calls = 0;
    const { client } = await app((runtime) => {
      runtime.registerActivity('Flaky', async () => {
        calls += 1;
        if (calls < 3) throw new Error(`attempt ${calls} failed`);
        return `ok after ${calls}`;
      });
      runtime.registerOrchestration('Resilient', async (ctx) => {
        return ctx.scheduleActivityWithRetry('Flaky', null, {
          maxAttempts: 5,
          backoff: 'exponential',
          initialDelayMs: 10,
          timeoutMs: 5_000,
        });
      });
      runtime.registerOrchestration('GivesUp', async (ctx) => {
        try {
          return await ctx.scheduleActivity('AlwaysFails', null, {
            retry: { maxAttempts: 2, backoff: 'fixed', initialDelayMs: 5 },
          });
        } catch (err) {
          return `compensated: ${(err as ActivityFailedError).message}`;
        }
      });
      runtime.registerActivity('AlwaysFails', async () => {
        throw new Error('still down');
      });
    });
    await client.startOrchestration('retry-1', 'Resilient');
    expect((await client.waitForOrchestration('retry-1', 5_000)).output).toBe('ok after 3');
    await client.startOrchestration('retry-2', 'GivesUp');
    expect((await client.waitForOrchestration('retry-2', 5_000)).output).toBe('compensated: still down');
  });

  it('Continue-as-new', async () => {
    const { client } = await app((runtime) => {
      runtime.registerOrchestration('Counter', async (ctx, n: number) => {
        await ctx.scheduleTimer(5); // e.g. one day
        if (n >= 3) return n;
        return ctx.continueAsNew(n + 1);
      });
    });
    await client.startOrchestration('counter-1', 'Counter', 0);
    expect((await client.waitForOrchestration('counter-1', 5_000)).output).toBe(3);
    expect(await client.listExecutions('counter-1')).toEqual([1, 2, 3, 4]);
  });

  it('Cancellation', async () => {
    const { client } = await app((runtime) => {
      runtime.registerOrchestration('Approval', async (ctx) => {
        ctx.setCustomStatus('waiting');
        return ctx.waitForEvent('Decision');
      });
    });
    await client.startOrchestration('req-2', 'Approval');
    await client.waitForStatusChange('req-2', 0);
    await client.cancelInstance('req-2', 'user withdrew');
    const status = await client.waitForOrchestration('req-2', 5_000);
    expect(status).toMatchObject({ status: 'Failed', error: 'canceled: user withdrew' });
    expect(status.failureDetails?.category).toBe('application');
  });

  it('Versioning: latest for new starts, continueAsNew upgrades', async () => {
    const { client } = await app((runtime) => {
      runtime.registerOrchestration('Billing', async (ctx, cycle: number) => {
        await ctx.scheduleTimer(5);
        return ctx.continueAsNew(cycle + 1); // the next execution runs the latest version
      });
      runtime.registerOrchestrationVersioned('Billing', '2.0.0', async (ctx, cycle: number) => {
        return `cycle ${cycle} on ${ctx.orchestrationVersion}`;
      });
    });
    await client.startOrchestration('bill-new', 'Billing', 1); // latest: 2.0.0
    expect((await client.waitForOrchestration('bill-new', 5_000)).output).toBe('cycle 1 on 2.0.0');

    await client.startOrchestrationVersioned('bill-old', 'Billing', 1, '1.0.0'); // pinned
    expect((await client.waitForOrchestration('bill-old', 5_000)).output).toBe('cycle 2 on 2.0.0');
    expect((await client.getExecutionInfo('bill-old', 1)).status).toBe('ContinuedAsNew');
  });

  it('Versioning: changing code under a running instance fails it', async () => {
    const provider = await SqliteProvider.inMemory();
    const first = new Runtime(provider, QUIET);
    first.registerActivity('Step', async () => 'step');
    first.registerOrchestration('Flow', async (ctx) => {
      await ctx.scheduleActivity('Step');
      ctx.setCustomStatus('waiting');
      return ctx.waitForEvent('Go');
    });
    await first.start();
    const client = new Client(provider);
    await client.startOrchestration('flow-1', 'Flow');
    await client.waitForStatusChange('flow-1', 0);
    await first.shutdown();

    // A deploy changes the code without a new version: a timer where history has an activity.
    const { client: after } = await app(
      (runtime) => {
        runtime.registerOrchestration('Flow', async (ctx) => {
          await ctx.scheduleTimer(10);
          return ctx.waitForEvent('Go');
        });
      },
      {},
      provider,
    );
    await after.raiseEvent('flow-1', 'Go', null);
    const status = await after.waitForOrchestration('flow-1', 5_000);
    expect(status.status).toBe('Failed');
    expect(status.error).toMatch(/^nondeterministic:/);
  });

  it('Custom status and KV', async () => {
    const { client } = await app((runtime) => {
      runtime.registerOrchestration('Import', async (ctx, files: string[]) => {
        for (const [i, file] of files.entries()) {
          ctx.setCustomStatus(JSON.stringify({ done: i, total: files.length }));
          ctx.setValue(`file:${file}`, 'imported');
          await ctx.scheduleTimer(1);
        }
        ctx.setCustomStatus(JSON.stringify({ done: files.length, total: files.length }));
        return ctx.getKvLength();
      });
    });
    await client.startOrchestration('import-1', 'Import', ['a.csv', 'b.csv']);
    const status = await client.waitForOrchestration('import-1', 5_000);
    expect(status.output).toBe(2);
    expect(JSON.parse(status.customStatus ?? 'null')).toEqual({ done: 2, total: 2 });
    expect(await client.getValue('import-1', 'file:a.csv')).toBe('imported');
    expect(await client.getKvAllValues('import-1')).toEqual({
      'file:a.csv': 'imported',
      'file:b.csv': 'imported',
    });
  });

  it('Custom status and KV: breaking a limit fails the instance', async () => {
    const { client } = await app((runtime) => {
      runtime.registerOrchestration('TooBig', async (ctx) => {
        ctx.setValue('blob', 'x'.repeat(70_000)); // over MAX_KV_VALUE_BYTES (64 KiB)
        return 'never';
      });
    });
    await client.startOrchestration('big-1', 'TooBig');
    const status = await client.waitForOrchestration('big-1', 5_000);
    expect(status.status).toBe('Failed');
    expect(status.error).toMatch(/KV value for key 'blob' \(70000 bytes\) exceeds limit \(65536 bytes\)/);
  });

  it('Sessions and tags', async () => {
    const workers: Record<string, string> = {};
    const { client } = await app(
      (runtime) => {
        runtime.registerActivity('LoadModel', async (ctx, model: string) => {
          workers.load = ctx.workerId;
          return `${model} loaded in session ${ctx.sessionId === null ? 'none' : 'yes'}`;
        });
        runtime.registerActivity('Infer', async (ctx, prompt: string) => {
          workers.infer = ctx.workerId;
          return `answer to ${prompt}`;
        });
        runtime.registerActivity('Render', async (ctx, scene: string) => {
          return `${scene} rendered on ${ctx.tag()}`;
        });
        runtime.registerOrchestration('Assistant', async (ctx, prompt: string) => {
          const sessionId = await ctx.newGuid();
          const loaded = await ctx.scheduleActivityOnSession('LoadModel', 'llama', sessionId);
          const answer = await ctx.scheduleActivity('Infer', prompt, { sessionId });
          const image = await ctx.scheduleActivity('Render', 'cat').withTag('gpu');
          return [loaded, answer, image];
        });
      },
      { workerTagFilter: { defaultAnd: ['gpu'] } }, // this runtime also runs activities tagged 'gpu'
    );
    await client.startOrchestration('assist-1', 'Assistant', 'hi');
    expect((await client.waitForOrchestration('assist-1', 5_000)).output).toEqual([
      'llama loaded in session yes',
      'answer to hi',
      'cat rendered on gpu',
    ]);
    expect(workers.infer).toBe(workers.load); // same session, same worker
  });

  it('Typed handles', async () => {
    const greet = defineActivity('Greet', async (_ctx, name: string) => `Hello, ${name}!`);
    const hello = defineOrchestration('Hello', async (ctx, name: string) => {
      const greeting = await ctx.scheduleActivity(greet, name); // greeting: string
      return { greeting, length: greeting.length };
    });
    const { client } = await app((runtime) => runtime.register(greet, hello));
    await client.startOrchestration('typed-1', hello, 'Ada'); // input checked: string
    const result = await client.waitForOrchestration<OutputOf<typeof hello>>('typed-1', 5_000);
    expect(result.status === 'Completed' && result.output.length).toBe(11);
  });

  it('Generator orchestrations', async () => {
    const { client } = await app((runtime) => {
      runtime.registerActivity('Greet', async (_ctx, name: string) => `Hello, ${name}!`);
      runtime.registerOrchestration('HelloGen', function* (ctx, name: string) {
        const greeting: string = yield ctx.scheduleActivity('Greet', name);
        const both: { ok: string }[] = yield ctx.all([
          ctx.scheduleActivity('Greet', 'a'),
          ctx.scheduleTimer(1),
        ]);
        return `${greeting} ${both.length}`;
      });
    });
    await client.startOrchestration('gen-1', 'HelloGen', 'World');
    expect((await client.waitForOrchestration('gen-1', 5_000)).output).toBe('Hello, World! 2');
  });

  it('Errors: catching failures in the orchestration and at the client', async () => {
    const { client } = await app((runtime) => {
      runtime.registerActivity('Charge', async () => {
        throw new Error('card declined');
      });
      runtime.registerOrchestration('Pay', async (ctx) => {
        try {
          await ctx.scheduleActivity('Charge', 10);
          return 'charged';
        } catch (err) {
          if (err instanceof ActivityFailedError) return `${err.code}: ${err.message}`;
          throw err;
        }
      });
      runtime.registerOrchestration('Strict', async (ctx) => {
        await ctx.scheduleActivity('Charge', 10); // not caught: the instance fails
      });
      runtime.registerOrchestration('Forever', async (ctx) => ctx.waitForEvent('never'));
    });
    await client.startOrchestration('pay-1', 'Pay');
    expect((await client.waitForOrchestration('pay-1', 5_000)).output).toBe('ACTIVITY_FAILED: card declined');

    await client.startOrchestration('strict-1', 'Strict');
    const failed = await client.waitForOrchestration('strict-1', 5_000);
    expect(failed).toMatchObject({
      status: 'Failed',
      error: 'card declined',
      failureDetails: { category: 'application', kind: { type: 'OrchestrationFailed' } },
    });

    await client.startOrchestration('forever-1', 'Forever');
    const timedOut = await client.waitForOrchestration('forever-1', 50).catch((err: unknown) => err);
    expect(timedOut).toBeInstanceOf(TimeoutError);
    expect(timedOut).toBeInstanceOf(DurableError);
    expect((timedOut as TimeoutError).code).toBe('TIMEOUT');
  });

  it('Client: management', async () => {
    const { client } = await app((runtime) => {
      runtime.registerActivity('Greet', async (_ctx, name: string) => `Hello, ${name}!`);
      runtime.registerOrchestration('Hello', async (ctx, name: string) =>
        ctx.scheduleActivity('Greet', name),
      );
    });
    await client.startOrchestration('mgmt-1', 'Hello', 'World');
    await client.waitForOrchestration('mgmt-1', 5_000);

    expect(await client.listInstancesByStatus('Completed')).toEqual(['mgmt-1']);
    const info = await client.getInstanceInfo('mgmt-1');
    expect(info).toMatchObject({
      orchestrationName: 'Hello',
      orchestrationVersion: '1.0.0',
      status: 'Completed',
    });
    const history = await client.readExecutionHistory('mgmt-1', 1);
    expect(history.map((e) => e.kind)).toEqual([
      'OrchestrationStarted',
      'ActivityScheduled',
      'ActivityCompleted',
      'OrchestrationCompleted',
    ]);
    expect(await client.deleteInstance('mgmt-1')).toMatchObject({ instancesDeleted: 1 });
    expect((await client.getStatus('mgmt-1')).status).toBe('NotFound');
  });

  it('RuntimeOptions: invalid options throw, naming the option', () => {
    const attempt = async () => new Runtime(await SqliteProvider.inMemory(), { workerConcurrency: -1 });
    return expect(attempt()).rejects.toThrow(/workerConcurrency: must be >= 0, got -1/);
  });

  it('Testing: a ManualClock fires a one-day timer at once', async () => {
    const clock = new ManualClock(); // starts at the real current time
    const provider = await SqliteProvider.inMemory({ clock });
    const { client } = await app(
      (runtime) => {
        runtime.registerOrchestration('Reminder', async (ctx) => {
          ctx.setCustomStatus('sleeping');
          await ctx.scheduleTimer(24 * 60 * 60 * 1000);
          return 'reminded';
        });
      },
      {},
      provider,
    );
    await client.startOrchestration('remind-1', 'Reminder');
    await client.waitForStatusChange('remind-1', 0); // the timer is recorded
    clock.advance(24 * 60 * 60 * 1000 + 60_000);
    expect((await client.waitForOrchestration('remind-1', 5_000)).output).toBe('reminded');
  });
});

describe('docs/migrating-from-duroxide-node.md', () => {
  it('race: any number of members, typed index', async () => {
    const { client } = await app((runtime) => {
      runtime.registerOrchestration('Review', async (ctx) => {
        ctx.setCustomStatus('waiting');
        const r = await ctx.race(
          ctx.waitForEvent<string>('Approve'),
          ctx.waitForEvent<string>('Reject'),
          ctx.scheduleTimer(60_000),
        );
        return ['approved', 'rejected', 'expired'][r.index];
      });
    });
    await client.startOrchestration('review-1', 'Review');
    await client.waitForStatusChange('review-1', 0);
    await client.raiseEvent('review-1', 'Reject', 'too expensive');
    expect((await client.waitForOrchestration('review-1', 5_000)).output).toBe('rejected');
  });

  it('race: a failed winner rejects instead of becoming a value', async () => {
    const { client } = await app((runtime) => {
      runtime.registerActivity('Fetch', async () => {
        throw new Error('503 from upstream');
      });
      runtime.registerOrchestration('FirstAnswer', async (ctx) => {
        try {
          const r = await ctx.race(ctx.scheduleActivity('Fetch'), ctx.scheduleTimer(5_000));
          return r.index === 0 ? r.value : 'timeout';
        } catch (err) {
          return err instanceof ActivityFailedError ? `failed: ${err.message}` : 'other';
        }
      });
    });
    await client.startOrchestration('first-1', 'FirstAnswer');
    expect((await client.waitForOrchestration('first-1', 5_000)).output).toBe('failed: 503 from upstream');
  });

  it('shutdown() of an idle runtime returns at once', async () => {
    const provider = await SqliteProvider.inMemory();
    const runtime = new Runtime(provider, QUIET);
    await runtime.start();
    const started = performance.now();
    await runtime.shutdown(); // duroxide-node waited the full timeout
    expect(performance.now() - started).toBeLessThan(1_000);
    await provider.close();
  });

  it('registries are per runtime', async () => {
    const a = await app((runtime) => runtime.registerOrchestration('Which', async () => 'a'));
    const b = await app((runtime) => runtime.registerOrchestration('Which', async () => 'b'));
    await a.client.startOrchestration('which-1', 'Which');
    await b.client.startOrchestration('which-1', 'Which');
    expect((await a.client.waitForOrchestration('which-1', 5_000)).output).toBe('a');
    expect((await b.client.waitForOrchestration('which-1', 5_000)).output).toBe('b');
  });

  it('registering after start() throws', async () => {
    const { runtime } = await app(() => {});
    expect(() => runtime.registerActivity('Late', async () => null)).toThrow(ConfigurationError);
  });

  it('unknown and renamed options throw', async () => {
    const provider = await SqliteProvider.inMemory();
    cleanups.push(() => provider.close());
    const renamed = { dispatcherPollIntervalMs: 50 } as RuntimeOptions;
    expect(() => new Runtime(provider, renamed)).toThrow(
      'dispatcherPollIntervalMs: unknown option (check the spelling)',
    );
  });

  it('getStatus parses output; continueAsNew needs no yield', async () => {
    const { client } = await app((runtime) => {
      runtime.registerOrchestration('Loop', async (ctx, n: number) => {
        if (n < 2) return ctx.continueAsNew(n + 1);
        return { n };
      });
    });
    await client.startOrchestration('loop-1', 'Loop', 0);
    await client.waitForOrchestration('loop-1', 5_000);
    expect(await client.getStatus('loop-1')).toMatchObject({ status: 'Completed', output: { n: 2 } });
  });

  it('multi-step blocks in ctx.all instead of sub-orchestrations', async () => {
    const { client } = await app((runtime) => {
      runtime.registerActivity('Echo', async (_ctx, s: string) => s);
      runtime.registerOrchestration('Blocks', async (ctx) => {
        const twoSteps = async (tag: string) => {
          const a = await ctx.scheduleActivity<string>('Echo', `${tag}1`);
          const b = await ctx.scheduleActivity<string>('Echo', `${tag}2`);
          return a + b;
        };
        return ctx.all([twoSteps('x'), twoSteps('y')]);
      });
    });
    await client.startOrchestration('blocks-1', 'Blocks');
    expect((await client.waitForOrchestration('blocks-1', 5_000)).output).toEqual([
      { ok: 'x1x2' },
      { ok: 'y1y2' },
    ]);
  });
});
