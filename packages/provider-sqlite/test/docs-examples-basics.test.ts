/**
 * The code examples of packages/core/README.md, "Getting started" through "Cancellation" (the rest are in
 * docs-examples-advanced.test.ts), run for real on in-memory SQLite so the documentation cannot rot. Each
 * test names the section it mirrors; when an example changes in the docs, change it here too (and the other
 * way round).
 */
import { type ActivityFailedError, Client, Runtime } from '@duroxide/core';
import { SqliteProvider } from '@duroxide/provider-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { app, eventually, QUIET, runCleanups } from './docs-examples-helpers.js';

afterEach(runCleanups);

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
});
