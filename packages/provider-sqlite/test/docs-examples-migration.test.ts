/**
 * The code examples of docs/migrating-from-duroxide-node.md, run for real on in-memory SQLite so the
 * documentation cannot rot. Each test names the section it mirrors; when an example changes in the docs,
 * change it here too (and the other way round).
 */
import { ActivityFailedError, ConfigurationError, Runtime, type RuntimeOptions } from '@duroxide/core';
import { SqliteProvider } from '@duroxide/provider-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { app, cleanups, QUIET, runCleanups } from './docs-examples-helpers.js';

afterEach(runCleanups);

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
