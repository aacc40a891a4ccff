import { defineActivity, defineOrchestration, type OrchestrationContext } from '@duroxide/core';
import { expect } from 'vitest';
import { Counter, scenarioIt, waitUntil } from './harness.js';
import type { ResolvedScenarioOptions } from './options.js';

const MAX_ATTEMPTS = 3;

/** Checklist 18 and 51–55: error propagation, compensation, panics, poison and unregistered backoff. */
export function errorPoisonScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);
  const poisonOptions = {
    maxAttempts: MAX_ATTEMPTS,
    unregisteredBackoff: { baseDelayMs: 2, maxDelayMs: 10 },
  };

  test('[18] errors propagate through nested helpers and can be recovered from', async (s) => {
    const validate = async (ctx: OrchestrationContext, order: string) =>
      ctx.scheduleActivity<string>('Validate', order);
    const process = async (ctx: OrchestrationContext, order: string) => {
      const valid = await validate(ctx, order);
      return ctx.scheduleActivity<string>('Ship', valid);
    };
    await s.startRuntime((rt) => {
      rt.registerActivity('Validate', async (_ctx, order: string) => {
        if (order.startsWith('bad')) throw new Error(`invalid order ${order}`);
        return `${order}:valid`;
      });
      rt.registerActivity('Ship', async (_ctx, order: string) => `${order}:shipped`);
      rt.registerOrchestration('Orders', async (ctx, orders: string[]) => {
        const out: string[] = [];
        for (const o of orders) {
          try {
            out.push(await process(ctx, o));
          } catch (e) {
            ctx.traceWarn(`order ${o} failed: ${(e as Error).message}`);
            out.push(`error: ${(e as Error).message}`);
          }
        }
        return out;
      });
      rt.registerOrchestration('Strict', async (ctx, order: string) => process(ctx, order));
    });
    expect((await s.run(s.id('nested'), 'Orders', ['a', 'bad1', 'b'])).output).toEqual([
      'a:valid:shipped',
      'error: invalid order bad1',
      'b:valid:shipped',
    ]);
    const strict = s.id('nested-strict');
    await s.client.startOrchestration(strict, 'Strict', 'bad2');
    expect(await s.failed(strict)).toContain('invalid order bad2');
  });

  test('[51] saga: a failure after two steps compensates them in reverse order', async (s) => {
    const log: string[] = [];
    await s.startRuntime((rt) => {
      for (const step of ['Reserve', 'Charge', 'Ship']) {
        rt.registerActivity(step, async () => {
          log.push(step);
          if (step === 'Ship') throw new Error('carrier down');
          return `${step} ok`;
        });
        rt.registerActivity(`Undo${step}`, async () => {
          log.push(`Undo${step}`);
          return null;
        });
      }
      rt.registerOrchestration('Saga', async (ctx) => {
        const done: string[] = [];
        try {
          for (const step of ['Reserve', 'Charge', 'Ship']) {
            await ctx.scheduleActivity(step);
            done.push(step);
          }
          return 'shipped';
        } catch (e) {
          for (const step of done.reverse()) await ctx.scheduleActivity(`Undo${step}`);
          return `compensated: ${(e as Error).message}`;
        }
      });
    });
    const out = (await s.run(s.id('saga'), 'Saga')).output as string;
    expect(out).toMatch(/^compensated: .*carrier down/);
    expect(log).toEqual(['Reserve', 'Charge', 'Ship', 'UndoCharge', 'UndoReserve']);
  });

  test('[51] an unknown activity is poisoned after backoff and fails the orchestration', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('CallsMissing', async (ctx) => {
        try {
          return await ctx.scheduleActivity('NoSuchActivity');
        } catch {
          return 'caught'; // poison is not an application error: code never sees it
        }
      });
    }, poisonOptions);
    const id = s.id('missing-act');
    await s.client.startOrchestration(id, 'CallsMissing');
    const error = await s.failed(id);
    expect(error).toMatch(/^poison: activity NoSuchActivity/);
    const status = await s.client.getStatus(id);
    expect(status.failureDetails).toMatchObject({ category: 'poison', maxAttempts: MAX_ATTEMPTS });
  });

  test('[51] typed decode errors: a typed handle rejects payloads that fail its decoders', async (s) => {
    const asNumber = (v: unknown): number => {
      if (typeof v !== 'number') throw new Error(`expected a number, got ${JSON.stringify(v)}`);
      return v;
    };
    // Handles whose declared result no longer matches what the deployed code returns (the decoders catch it).
    const countWords = async (_ctx: unknown, text: string) => `${text.length} words`;
    const count = defineActivity<string, number>('CountWords', countWords as never, { output: asNumber });
    const double = defineActivity('Double', async (_ctx, n: number) => n * 2, { input: asNumber });
    const childText = async () => 'not a number';
    const child = defineOrchestration<null, number>('ChildText', childText as never, { output: asNumber });
    const typedInput = defineOrchestration('TypedInput', async (_ctx, n: number) => n + 1, {
      input: asNumber,
      output: asNumber,
    });
    const caller = defineOrchestration('DecodeCaller', async (ctx) => {
      const seen: string[] = [];
      for (const call of [
        () => ctx.scheduleActivity(count, 'a b'),
        () => ctx.scheduleActivity(double, 'two' as unknown as number),
        () => ctx.scheduleSubOrchestration(child),
      ]) {
        try {
          seen.push(`ok ${await call()}`);
        } catch (err) {
          seen.push(`${(err as { code?: string }).code}: ${(err as Error).message}`);
        }
      }
      return seen;
    });
    await s.startRuntime((rt) => rt.register(count, double, child, typedInput, caller));
    const seen = (await s.run(s.id('decode'), 'DecodeCaller')).output as string[];
    expect(seen[0]).toBe(
      `DECODE_FAILED: result of activity 'CountWords' failed to decode: expected a number, got "3 words"`,
    );
    expect(seen[1]).toMatch(
      /^ACTIVITY_FAILED: .*input of activity 'Double' failed to decode: expected a number/,
    );
    expect(seen[2]).toMatch(/^DECODE_FAILED: result of sub-orchestration 'ChildText' failed to decode/);
    // An orchestration's own input check fails it; the client's typed wait checks the output.
    const bad = s.id('decode-input');
    await s.client.startOrchestration(bad, typedInput, 'x' as unknown as number);
    expect(await s.failed(bad)).toMatch(/input of orchestration 'TypedInput' failed to decode/);
    const good = s.id('decode-output');
    await s.client.startOrchestration(good, typedInput, 1);
    expect((await s.client.waitForOrchestration(good, typedInput, 10_000)).output).toBe(2);
    const text = s.id('decode-client');
    await s.client.startOrchestration(text, child, null);
    await expect(s.client.waitForOrchestration(text, child, 10_000)).rejects.toMatchObject({
      code: 'DECODE_FAILED',
      message: `output of instance '${text}' failed to decode: expected a number, got "not a number"`,
    });
    expect(await s.completed(text)).toBe('not a number');
  });

  test('[52] an orchestration that throws a non-Error fails as panicked', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Thrower', async () => {
        throw 'boom';
      });
      rt.registerOrchestration('ErrorThrower', async () => {
        throw new Error('plain failure');
      });
    });
    const panicked = s.id('panic');
    await s.client.startOrchestration(panicked, 'Thrower');
    expect(await s.failed(panicked)).toBe('orchestration panicked: boom');
    const failed = s.id('fail');
    await s.client.startOrchestration(failed, 'ErrorThrower');
    expect(await s.failed(failed)).toContain('plain failure');
  });

  test('[53] only the poisoned activity among many fails the run; custom maxAttempts honoured', async (s) => {
    const ran = new Counter();
    await s.startRuntime((rt) => {
      rt.registerActivity('Good', async (_ctx, i: number) => {
        ran.hit();
        return i;
      });
      rt.registerOrchestration('Mixed', async (ctx) =>
        ctx.all([
          ctx.scheduleActivity('Good', 1),
          ctx.scheduleActivity('Missing'),
          ctx.scheduleActivity('Good', 2),
        ]),
      );
    }, poisonOptions);
    const id = s.id('mixed-poison');
    await s.client.startOrchestration(id, 'Mixed');
    expect(await s.failed(id)).toMatch(/^poison: activity Missing/);
    expect(ran.get()).toBe(2);
    const details = (await s.client.getStatus(id)).failureDetails as {
      attemptCount: number;
      maxAttempts: number;
    };
    expect(details.maxAttempts).toBe(MAX_ATTEMPTS);
    expect(details.attemptCount).toBe(MAX_ATTEMPTS + 1);
  });

  test('[53] a poisoned child fails its parent with poison', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('BadChild', async (ctx) => ctx.scheduleActivity('Missing'));
      rt.registerOrchestration('Parent', async (ctx) => {
        try {
          return await ctx.scheduleSubOrchestration('BadChild');
        } catch {
          return 'caught';
        }
      });
    }, poisonOptions);
    const id = s.id('child-poison');
    await s.client.startOrchestration(id, 'Parent');
    expect(await s.failed(id)).toMatch(/^poison:/);
  });

  test('[53][54] an unknown orchestration is poisoned after backoff; the instance exists and is deletable', async (s) => {
    await s.startRuntime(() => undefined, poisonOptions);
    const id = s.id('missing-orch');
    await s.client.startOrchestration(id, 'NoSuchOrchestration', 1);
    expect(await s.failed(id)).toMatch(/^poison: orchestration/);
    const details = (await s.client.getStatus(id)).failureDetails as { attemptCount: number };
    expect(details.attemptCount).toBe(MAX_ATTEMPTS + 1);
    await s.client.deleteInstance(id);
    expect((await s.client.getStatus(id)).status).toBe('NotFound');
  });

  test('[54] continue-as-new to a missing version is poisoned', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('Upgrader', async (ctx) => ctx.continueAsNewVersioned(null, '9.9.9'));
    }, poisonOptions);
    const id = s.id('can-missing');
    await s.client.startOrchestration(id, 'Upgrader');
    expect(await s.failed(id)).toMatch(/^poison:/);
    expect(await s.client.listExecutions(id)).toContain(2);
  });

  test('[55] a fetch whose lock expires (a crashed dispatcher) counts as an attempt', async (s) => {
    const id = s.id('attempt-expiry');
    await s.client.startOrchestration(id, 'Fine');
    // Play a dispatcher that locks the instance and dies: no ack, no abandon, the lock just expires.
    const item = await s.provider.fetchOrchestrationItem(30, 0);
    expect(item?.item.instance).toBe(id);
    const lockedAt = Date.now();
    await waitUntil(() => (Date.now() > lockedAt + 60 ? true : undefined), 'the 30 ms lock to expire');
    await s.startRuntime((rt) => rt.registerOrchestration('Fine', async () => 'ran'), { maxAttempts: 1 });
    expect(await s.failed(id)).toMatch(/^poison: orchestration/);
    const details = (await s.client.getStatus(id)).failureDetails as { attemptCount: number };
    expect(details.attemptCount).toBe(2);
  });

  test('[55] the attempt count grows with every abandon until the poison threshold', async (s) => {
    await s.startRuntime(() => undefined, { ...poisonOptions, maxAttempts: 2 });
    const id = s.id('attempts');
    await s.client.startOrchestration(id, 'Missing');
    await s.failed(id);
    const details = (await s.client.getStatus(id)).failureDetails as {
      attemptCount: number;
      maxAttempts: number;
    };
    expect(details).toMatchObject({ attemptCount: 3, maxAttempts: 2 });
  });
}
