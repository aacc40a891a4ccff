/**
 * The code examples of packages/core/README.md, "Versioning" through "Testing" (the earlier ones are in
 * docs-examples-basics.test.ts), run for real on in-memory SQLite so the documentation cannot rot. Each test
 * names the section it mirrors; when an example changes in the docs, change it here too (and the other way
 * round).
 */
import {
  ActivityFailedError,
  Client,
  DurableError,
  defineActivity,
  defineOrchestration,
  ManualClock,
  type OutputOf,
  Runtime,
  TimeoutError,
} from '@duroxide/core';
import { SqliteProvider } from '@duroxide/provider-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { app, QUIET, runCleanups } from './docs-examples-helpers.js';

afterEach(runCleanups);

describe('packages/core/README.md', () => {
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

  it('Typed handles: decoders check payloads at run time', async () => {
    const asNumbers = (v: unknown): number[] => {
      if (!Array.isArray(v) || !v.every((n) => typeof n === 'number')) throw new Error('expected numbers');
      return v;
    };
    const total = defineActivity('Total', async (_ctx, items: number[]) => items.reduce((a, b) => a + b, 0), {
      input: asNumbers,
    });
    const sum = defineOrchestration('Sum', async (ctx, items: number[]) => {
      try {
        return await ctx.scheduleActivity(total, items);
      } catch (err) {
        return (err as Error).message;
      }
    });
    const { client } = await app((runtime) => runtime.register(total, sum));
    await client.startOrchestration('sum-ok', sum, [1, 2, 3]);
    expect((await client.waitForOrchestration('sum-ok', sum, 5_000)).output).toBe(6);
    await client.startOrchestration('sum-bad', sum, ['1'] as unknown as number[]);
    expect((await client.waitForOrchestration('sum-bad', sum, 5_000)).output).toMatch(
      /input of activity 'Total' failed to decode: expected numbers/,
    );
  });

  it('Versioning: an exact policy pins new starts until switched back', async () => {
    const { runtime, client } = await app((rt) => {
      rt.registerOrchestration('Billing', async (ctx) => ctx.orchestrationVersion);
      rt.registerOrchestrationVersioned('Billing', '2.0.0', async (ctx) => ctx.orchestrationVersion);
      rt.setVersionPolicy('Billing', { exact: '1.0.0' });
    });
    await client.startOrchestration('policy-1', 'Billing');
    expect((await client.waitForOrchestration('policy-1', 5_000)).output).toBe('1.0.0');
    runtime.setVersionPolicy('Billing', 'latest');
    await client.startOrchestration('policy-2', 'Billing');
    expect((await client.waitForOrchestration('policy-2', 5_000)).output).toBe('2.0.0');
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
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const provider = await SqliteProvider.inMemory({ clock });
    const { client } = await app(
      (runtime) => {
        runtime.registerOrchestration('Reminder', async (ctx) => {
          ctx.setCustomStatus('sleeping');
          await ctx.scheduleTimer(24 * 60 * 60 * 1000);
          return { reminded: true, at: await ctx.utcNow() };
        });
      },
      { clock },
      provider,
    );
    await client.startOrchestration('remind-1', 'Reminder');
    await client.waitForStatusChange('remind-1', 0); // the timer is recorded
    clock.advance(24 * 60 * 60 * 1000 + 60_000);
    const done = await client.waitForOrchestration('remind-1', 5_000);
    expect(done.output).toEqual({ reminded: true, at: Date.UTC(2030, 0, 2, 0, 1) });
    // History is stamped with the same clock, not the wall clock.
    const history = await provider.read('remind-1');
    const timer = history.find((e) => e.kind === 'TimerCreated');
    expect(timer).toMatchObject({ fireAtMs: Date.UTC(2030, 0, 2), timestampMs: Date.UTC(2030, 0, 1) });
  });
});
