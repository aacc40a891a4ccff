import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@duroxide/core';
import { SqliteProvider } from '@duroxide/provider-sqlite';
import {
  expectWellFormedHistory,
  pause,
  type RuntimeProcess,
  randomBetween,
  scheduledSteps,
  spawnRuntimeProcess,
} from '@duroxide/provider-tests';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedOutput, PARENT_STEPS } from './workflow.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, 'worker.mjs');
const BUILT = [join(here, '../../../core/dist/index.js'), join(here, '../../dist/index.js')];
const INSTANCES = 100;
const KILLS = 6;

/** A history event as read back through the client. */
interface Ev {
  eventId: number;
  kind: string;
  sourceEventId?: number | null;
  [field: string]: unknown;
}

type Worker = RuntimeProcess;

/** Spawns a runtime process on the store; `ready` resolves once its runtime has started. */
const spawnWorker = (db: string): Worker => spawnRuntimeProcess(WORKER, [db]);

describe('crash safety (SIGKILL) on a SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duroxide-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`${INSTANCES} instances survive ${KILLS} SIGKILLs: each completes once, nothing is stranded`, async () => {
    for (const file of BUILT) {
      if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm build\` before the crash test`);
    }
    const db = join(dir, 'crash.db');
    const provider = await SqliteProvider.open(db);
    const client = new Client(provider);
    const ids = Array.from({ length: INSTANCES }, (_, n) => `crash-${n}`);
    try {
      for (const [n, id] of ids.entries()) await client.startOrchestration(id, 'CrashFlow', n);

      // Per kill: parents completed and history events written so far (progress made by that worker).
      const completedAtKill: number[] = [];
      const eventsAtKill: number[] = [];
      const started = Date.now();
      for (let k = 0; k < KILLS; k++) {
        const worker = spawnWorker(db);
        await worker.ready;
        // A random moment: the kill is the point of the test, not a wait for a condition.
        await pause(k === 0 ? randomBetween(100, 300) : randomBetween(150, 600));
        worker.child.kill('SIGKILL');
        const exit = await worker.exited;
        expect(exit.signal, worker.stderr()).toBe('SIGKILL');
        const completed = await client.listInstancesByStatus('Completed');
        completedAtKill.push(completed.filter((i) => i.startsWith('crash-') && !i.includes('::')).length);
        eventsAtKill.push((await client.getSystemMetrics()).totalEvents);
      }
      console.info(
        `crash test: ${INSTANCES} instances, ${KILLS} SIGKILLs in ${Date.now() - started} ms; ` +
          `parents completed at each kill: ${completedAtKill.join(', ')}; history events: ${eventsAtKill.join(', ')}`,
      );
      // The kills must land in the middle of work, or the test proves nothing: the timers pace every
      // instance over about a second and a half, so the first kills always find unfinished instances, and the
      // workers must have made progress between kills.
      const interrupted = completedAtKill.filter((c) => c < INSTANCES).length;
      expect(interrupted, `completed at each kill: ${completedAtKill}`).toBeGreaterThanOrEqual(2);
      const progressed = eventsAtKill.filter((n, i) => n > (eventsAtKill[i - 1] ?? 0)).length;
      expect(progressed, `history events at each kill: ${eventsAtKill}`).toBeGreaterThanOrEqual(2);

      const last = spawnWorker(db);
      await last.ready;
      for (const [n, id] of ids.entries()) {
        const status = await client.waitForOrchestration(id, 30_000);
        expect(status.status, `${id}: ${String(status.error)}`).toBe('Completed');
        expect(status.output).toEqual(expectedOutput(n));
      }
      last.child.kill('SIGTERM');
      expect((await last.exited).code, last.stderr()).toBe(0);

      for (const id of ids) {
        expect(await client.listExecutions(id)).toEqual([1]);
        const events = (await client.readExecutionHistory(id, 1)) as unknown as Ev[];
        expectWellFormedHistory(id, events);
        expect(scheduledSteps(events)).toEqual([...PARENT_STEPS].sort());
        const kinds = events.map((e) => e.kind);
        const expectedCounts = {
          TimerCreated: 2,
          TimerFired: 2,
          SubOrchestrationScheduled: 1,
          SubOrchestrationCompleted: 1,
        };
        for (const [k, n] of Object.entries(expectedCounts)) {
          expect(
            kinds.filter((x) => x === k),
            `${id} ${k}`,
          ).toHaveLength(n);
        }
        const sub = String(events.find((e) => e.kind === 'SubOrchestrationScheduled')?.instance);
        const childId = sub.startsWith('sub::') ? `${id}::${sub}` : sub;
        const childEvents = (await client.readExecutionHistory(childId, 1)) as unknown as Ev[];
        expect(await client.listExecutions(childId)).toEqual([1]);
        expectWellFormedHistory(childId, childEvents);
        expect(scheduledSteps(childEvents)).toEqual(['child']);
      }

      // Exactly one child per parent: a replayed turn must not have started a second one.
      expect(await client.listAllInstances()).toHaveLength(2 * INSTANCES);
      expect(await client.getQueueDepths()).toMatchObject({
        orchestratorQueue: 0,
        workerQueue: 0,
        timerQueue: 0,
      });
      const raw = new Database(db, { readonly: true });
      try {
        const count = (sql: string, ...args: unknown[]) => (raw.prepare(sql).get(...args) as { n: number }).n;
        expect(count('SELECT COUNT(*) AS n FROM orchestrator_queue')).toBe(0);
        expect(count('SELECT COUNT(*) AS n FROM worker_queue')).toBe(0);
        expect(count('SELECT COUNT(*) AS n FROM instance_locks WHERE locked_until > ?', Date.now())).toBe(0);
      } finally {
        raw.close();
      }
    } finally {
      await provider.close();
    }
  }, 90_000);
});
