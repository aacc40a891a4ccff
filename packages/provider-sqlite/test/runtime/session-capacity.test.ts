import { describe, expect, it } from 'vitest';
import { harness } from './harness.js';

describe('session capacity', () => {
  it('a session item abandoned at capacity runs as soon as a slot frees (no long-poll stall)', async () => {
    // No workerNodeId: each slot owns its sessions, so only the slot that claimed session B can run it; that
    // slot's fetch while at capacity must not sit out the whole long poll (30 s here) once A finishes.
    const h = await harness({
      workerConcurrency: 3,
      maxSessionsPerRuntime: 1,
      dispatcherLongPollTimeoutMs: 30_000,
    });
    let releaseA!: () => void;
    const gateA = new Promise<void>((resolve) => {
      releaseA = resolve;
    });
    const started: string[] = [];
    h.runtime.registerActivity('Work', async (_ctx, label: string) => {
      started.push(label);
      if (label === 'A') await gateA;
      return label;
    });
    h.runtime.registerOrchestration('TwoSessions', async (ctx) => {
      const results = await ctx.all([
        ctx.scheduleActivityOnSession('Work', 'A', 'session-a'),
        ctx.scheduleActivityOnSession('Work', 'B', 'session-b'),
        ctx.scheduleActivity('Work', 'plain'),
      ]);
      return results.map((r) => ('ok' in r ? r.ok : r.err));
    });
    await h.start();
    try {
      await h.client.startOrchestration('capacity-1', 'TwoSessions');
      while (!(started.includes('A') && started.includes('plain')))
        await new Promise((r) => setTimeout(r, 5));
      expect(started).not.toContain('B');
      releaseA();
      const status = await h.client.waitForOrchestration('capacity-1', 5_000);
      expect(status.status).toBe('Completed');
      expect(status.output).toEqual(['A', 'B', 'plain']);
    } finally {
      releaseA();
      await h.close();
    }
  });
});
