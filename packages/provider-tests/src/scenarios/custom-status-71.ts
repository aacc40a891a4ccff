import { MAX_CUSTOM_STATUS_BYTES, TimeoutError } from '@duroxide/core';
import { expect } from 'vitest';
import { REPLAY_EVERY_TURN, type SizedText, sized, step } from './custom-status-kv-helpers.js';
import type { ScenarioIt } from './harness.js';

/** Checklist 71 (custom status), with API.md's size limit. */
export function customStatusScenarios(test: ScenarioIt): void {
  test('[71] custom status is visible on completion and on failure', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerActivity('Noop', async () => 'ok');
      rt.registerOrchestration('StatusThenEnd', async (ctx, fail: boolean) => {
        ctx.setCustomStatus('started');
        await ctx.scheduleActivity('Noop');
        ctx.setCustomStatus(fail ? 'about to fail' : 'finishing');
        if (fail) throw new Error('failed on purpose');
        return 'ok';
      });
      rt.registerOrchestration('NoStatus', async () => 'quiet');
    });
    const [ok, bad, quiet] = [s.id('cs-ok'), s.id('cs-bad'), s.id('cs-none')];
    await s.client.startOrchestration(ok, 'StatusThenEnd', false);
    await s.client.startOrchestration(bad, 'StatusThenEnd', true);
    await s.client.startOrchestration(quiet, 'NoStatus');
    const done = await s.client.waitForOrchestration(ok, 10_000);
    expect(done).toMatchObject({ status: 'Completed', customStatus: 'finishing', customStatusVersion: 2 });
    const failed = await s.client.waitForOrchestration(bad, 10_000);
    expect(failed).toMatchObject({ status: 'Failed', customStatus: 'about to fail', customStatusVersion: 2 });
    expect(failed.error).toContain('failed on purpose');
    expect(await s.client.getStatus(bad)).toMatchObject({ customStatus: 'about to fail' });
    expect(await s.client.waitForOrchestration(quiet, 10_000)).toMatchObject({
      status: 'Completed',
      customStatus: null,
      customStatusVersion: 0,
    });
  });

  test('[71] last write in a turn wins, resetCustomStatus clears, the version grows once per changing turn', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('StatusTurns', async (ctx) => {
        ctx.setCustomStatus('a');
        ctx.setCustomStatus('b');
        await ctx.waitForEvent('go');
        const seenInTurn2 = ctx.getCustomStatus();
        await ctx.waitForEvent('go');
        ctx.setCustomStatus('c');
        ctx.setCustomStatus('d');
        await ctx.waitForEvent('go');
        ctx.resetCustomStatus();
        const afterReset = ctx.getCustomStatus();
        await ctx.waitForEvent('go');
        return { seenInTurn2, afterReset };
      });
    }, REPLAY_EVERY_TURN);
    const id = s.id('cs-turns');
    await s.client.startOrchestration(id, 'StatusTurns');
    // After each handshake the turn that recorded the subscription is committed, status included.
    const expected = [
      { customStatus: 'b', customStatusVersion: 1 }, // two writes, one turn: last wins, one version
      { customStatus: 'b', customStatusVersion: 1 }, // a turn that did not touch the status
      { customStatus: 'd', customStatusVersion: 2 },
      { customStatus: null, customStatusVersion: 3 }, // reset is a change
    ];
    for (const [i, want] of expected.entries()) {
      await s.waitForSubscription(id, 'go', i + 1);
      expect(await s.client.getStatus(id), `after turn ${i + 1}`).toMatchObject({
        status: 'Running',
        ...want,
      });
      await s.client.raiseEvent(id, 'go');
    }
    const final = await s.client.waitForOrchestration(id, 10_000);
    expect(final).toMatchObject({
      status: 'Completed',
      output: { seenInTurn2: 'b', afterReset: null },
      customStatus: null,
      customStatusVersion: 3,
    });
  });

  test('[71] custom status persists across turns and continue-as-new', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('StatusCan', async (ctx, gen: number) => {
        if (gen === 1) {
          ctx.setCustomStatus('from gen 1');
          await ctx.waitForEvent('go');
          return ctx.continueAsNew(2);
        }
        const inherited = ctx.getCustomStatus();
        await ctx.waitForEvent('go');
        return { inherited, later: ctx.getCustomStatus(), execution: ctx.executionId };
      });
    }, REPLAY_EVERY_TURN);
    const id = s.id('cs-can');
    await s.client.startOrchestration(id, 'StatusCan', 1);
    await step(s, id, 'go', 1, 1);
    await s.waitForSubscription(id, 'go', 1, 2);
    expect(await s.client.getStatus(id)).toMatchObject({
      status: 'Running',
      customStatus: 'from gen 1',
      customStatusVersion: 1,
    });
    await s.client.raiseEvent(id, 'go');
    expect(await s.client.waitForOrchestration(id, 10_000)).toMatchObject({
      status: 'Completed',
      output: { inherited: 'from gen 1', later: 'from gen 1', execution: 2 },
      customStatus: 'from gen 1',
      customStatusVersion: 1,
    });
  });

  test('[71] waitForStatusChange returns on a new version and on terminal state, rejects with TimeoutError', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('StatusWaiter', async (ctx) => {
        await ctx.waitForEvent('set');
        ctx.setCustomStatus('one');
        await ctx.waitForEvent('end');
        return 'done';
      });
    });
    const id = s.id('cs-wait');
    await s.client.startOrchestration(id, 'StatusWaiter');
    await s.waitForSubscription(id, 'set');
    await expect(s.client.waitForStatusChange(id, 0, 10, 100)).rejects.toBeInstanceOf(TimeoutError);
    const changed = s.client.waitForStatusChange(id, 0, 10, 10_000);
    await s.client.raiseEvent(id, 'set');
    expect(await changed).toMatchObject({ status: 'Running', customStatus: 'one', customStatusVersion: 1 });

    await s.waitForSubscription(id, 'end');
    await expect(s.client.waitForStatusChange(id, 1, 10, 100)).rejects.toBeInstanceOf(TimeoutError);
    // The last turn does not change the status: the wait ends because the instance is terminal.
    const terminal = s.client.waitForStatusChange(id, 1, 10, 10_000);
    await s.client.raiseEvent(id, 'end');
    expect(await terminal).toMatchObject({
      status: 'Completed',
      output: 'done',
      customStatus: 'one',
      customStatusVersion: 1,
    });
  });

  test('[71] custom status size limit: 256 KiB is accepted, one byte more fails naming the limit', async (s) => {
    await s.startRuntime((rt) => {
      rt.registerOrchestration('BigStatus', async (ctx, input: SizedText & { thenSet?: string }) => {
        ctx.setCustomStatus(sized(input));
        if (input.thenSet !== undefined) ctx.setCustomStatus(input.thenSet);
        return 'done';
      });
    });
    const half = MAX_CUSTOM_STATUS_BYTES / 2;
    const cases = {
      exact: { unit: 'x', repeat: MAX_CUSTOM_STATUS_BYTES, tail: '' },
      over: { unit: 'x', repeat: MAX_CUSTOM_STATUS_BYTES, tail: 'y' },
      utf8Exact: { unit: 'é', repeat: half, tail: '' },
      utf8Over: { unit: 'é', repeat: half, tail: 'y' }, // 131 073 characters, 262 145 bytes
      lastWins: { unit: 'x', repeat: MAX_CUSTOM_STATUS_BYTES, tail: 'y', thenSet: 'small' },
    };
    const ids = Object.fromEntries(Object.keys(cases).map((k) => [k, s.id(`cs-size-${k}`)]));
    for (const [k, input] of Object.entries(cases))
      await s.client.startOrchestration(ids[k]!, 'BigStatus', input);

    for (const k of ['exact', 'utf8Exact']) {
      const status = await s.client.waitForOrchestration(ids[k]!, 10_000);
      expect(status.status, String(status.error)).toBe('Completed');
      expect(status.customStatus).toBe(sized(cases[k as 'exact']));
    }
    for (const k of ['over', 'utf8Over']) {
      const error = await s.failed(ids[k]!);
      expect(error).toMatch(/custom status/i);
      expect(error).toContain(`${MAX_CUSTOM_STATUS_BYTES + 1} bytes`);
      expect(error).toContain(String(MAX_CUSTOM_STATUS_BYTES));
    }
    expect(await s.client.waitForOrchestration(ids.lastWins!, 10_000)).toMatchObject({
      status: 'Completed',
      customStatus: 'small',
    });
  });
}
