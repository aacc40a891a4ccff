import '../support/pg-cjs-shim.js';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@duroxide/core';
import {
  expectWellFormedHistory,
  pause,
  type RuntimeProcess,
  randomBetween,
  scheduledSteps,
  spawnRuntimeProcess,
} from '@duroxide/provider-tests';
import { describe, expect, it } from 'vitest';
import { PostgresProvider } from '../../src/index.js';
import { usePostgres } from '../support/test-db.js';
import { expectedOutput, parentSteps } from './workflow.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, 'worker.mjs');
const BUILT = [join(here, '../../../core/dist/index.js'), join(here, '../../dist/index.js')];
const INSTANCES = Number(process.env.DUROXIDE_PG_CRASH_INSTANCES ?? 2_000);
const PROCESSES = 4;
const KILLS = 4;

const db = usePostgres();

/** A stored history row. */
interface Ev {
  eventId: number;
  kind: string;
  sourceEventId?: number | null;
  input?: string;
  instance?: string;
}

type Worker = RuntimeProcess;

/** Spawns a runtime process on the store; `ready` resolves once its runtime has started. */
const spawnWorker = (url: string, schema: string): Worker => spawnRuntimeProcess(WORKER, [url, schema]);

describe('scale-out and crash safety (SIGKILL) on Postgres', () => {
  it(`${INSTANCES} instances on ${PROCESSES} processes survive ${KILLS} SIGKILLs: each completes exactly once`, async () => {
    for (const file of BUILT) {
      if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm build\` before the crash test`);
    }
    const schema = db.schema('crash');
    const provider = await PostgresProvider.connectWithSchema(db.url, schema, { poolSize: 4 });
    await db.raw.query(`CREATE TABLE "${schema}".crash_runs (pid INT PRIMARY KEY, runs INT NOT NULL)`);
    const client = new Client(provider);
    const ids = Array.from({ length: INSTANCES }, (_, n) => `crash-${n}`);
    const workers: Worker[] = [];
    const started = performance.now();
    try {
      for (let i = 0; i < PROCESSES; i++) workers.push(spawnWorker(db.url, schema));
      await Promise.all(workers.map((w) => w.ready));
      for (let i = 0; i < ids.length; i += 50) {
        await Promise.all(
          ids.slice(i, i + 50).map((id, j) => client.startOrchestration(id, 'CrashFlow', i + j)),
        );
      }

      const completedAtKill: number[] = [];
      for (let k = 0; k < KILLS; k++) {
        // Kill at spread-out points of progress (plus a random offset), so every kill interrupts work.
        await waitForCompleted(schema, Math.floor((INSTANCES * (k + 1)) / (KILLS + 2)));
        await pause(randomBetween(0, 100));
        const victim = workers.splice(randomBetween(0, workers.length), 1)[0] as Worker;
        victim.child.kill('SIGKILL');
        const exit = await victim.exited;
        expect(exit.signal, victim.stderr()).toBe('SIGKILL');
        completedAtKill.push(await completedParents(schema));
        const replacement = spawnWorker(db.url, schema);
        workers.push(replacement);
        await replacement.ready;
      }
      // Every kill must interrupt work in progress, or the test proves little.
      expect(
        completedAtKill.filter((c) => c < INSTANCES).length,
        `completed at each kill: ${completedAtKill}`,
      ).toBe(KILLS);

      await waitForCompleted(schema, INSTANCES, 240_000);
      const elapsedS = (performance.now() - started) / 1000;
      for (const worker of workers.splice(0)) {
        worker.child.kill('SIGTERM');
        expect((await worker.exited).code, worker.stderr()).toBe(0);
      }

      // Exactly once: every parent and child completed once, with one answer per activity.
      const histories = await loadHistories(schema);
      const outputs = await loadOutputs(schema);
      for (const [n, id] of ids.entries()) {
        const events = histories.get(id) ?? [];
        expectWellFormedHistory(id, events);
        expect(scheduledSteps(events)).toEqual(parentSteps());
        expect(JSON.parse(outputs.get(id) ?? 'null'), `${id} output`).toEqual(expectedOutput(n));
        const children = events.filter((e) => e.kind === 'SubOrchestrationScheduled');
        expect(children, `${id} children`).toHaveLength(n % 5 === 0 ? 1 : 0);
        for (const sub of children) {
          const childId = String(sub.instance).startsWith('sub::')
            ? `${id}::${sub.instance}`
            : String(sub.instance);
          const childEvents = histories.get(childId) ?? [];
          expectWellFormedHistory(childId, childEvents);
          expect(scheduledSteps(childEvents)).toEqual(['child']);
        }
      }
      const { rows: execs } = await db.raw.query<{ n: number }>(
        `SELECT count(*)::INT AS n FROM "${schema}".executions WHERE execution_id <> 1 OR status <> 'Completed'`,
      );
      expect(execs[0]?.n, 'every instance has exactly one, completed execution').toBe(0);

      // Nothing stranded: both queues and the lock table are empty.
      const { rows: left } = await db.raw.query<{ oq: number; wq: number; locks: number }>(
        `SELECT (SELECT count(*)::INT FROM "${schema}".orchestrator_queue) AS oq,
                (SELECT count(*)::INT FROM "${schema}".worker_queue) AS wq,
                (SELECT count(*)::INT FROM "${schema}".instance_locks) AS locks`,
      );
      expect(left[0]).toEqual({ oq: 0, wq: 0, locks: 0 });

      // Scale-out: activities ran in many processes.
      const { rows: runs } = await db.raw.query<{ pid: number; runs: number }>(
        `SELECT pid, runs FROM "${schema}".crash_runs ORDER BY runs DESC`,
      );
      console.info(
        `postgres crash test: ${INSTANCES} instances in ${elapsedS.toFixed(1)} s; completed at each kill: ` +
          `${completedAtKill.join(', ')}; activity runs per process: ${runs.map((r) => r.runs).join(', ')}`,
      );
      expect(runs.length, JSON.stringify(runs)).toBeGreaterThanOrEqual(PROCESSES);
      const activities = INSTANCES * 3 + Math.ceil(INSTANCES / 5);
      expect(runs.reduce((sum, r) => sum + r.runs, 0)).toBeGreaterThanOrEqual(activities);
    } finally {
      for (const worker of workers) worker.child.kill('SIGKILL');
      await provider.close();
    }
  }, 400_000);
});

async function completedParents(schema: string): Promise<number> {
  const { rows } = await db.raw.query<{ n: number }>(
    `SELECT count(*)::INT AS n FROM "${schema}".executions
      WHERE status = 'Completed' AND instance_id LIKE 'crash-%' AND instance_id NOT LIKE '%::%'`,
  );
  return rows[0]?.n ?? 0;
}

/** Polls until at least `count` parents completed; fails after `timeoutMs`. */
async function waitForCompleted(schema: string, count: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = await completedParents(schema);
    if (done >= count) return;
    if (Date.now() > deadline)
      throw new Error(`only ${done} of ${count} instances completed within ${timeoutMs} ms`);
    await pause(50);
  }
}

async function loadHistories(schema: string): Promise<Map<string, Ev[]>> {
  const { rows } = await db.raw.query<{ instance_id: string; event_data: string }>(
    `SELECT instance_id, event_data FROM "${schema}".history ORDER BY instance_id, execution_id, event_id`,
  );
  const out = new Map<string, Ev[]>();
  for (const row of rows) {
    const list = out.get(row.instance_id) ?? [];
    list.push(JSON.parse(row.event_data) as Ev);
    out.set(row.instance_id, list);
  }
  return out;
}

async function loadOutputs(schema: string): Promise<Map<string, string>> {
  const { rows } = await db.raw.query<{ instance_id: string; output: string }>(
    `SELECT instance_id, output FROM "${schema}".executions`,
  );
  return new Map(rows.map((r) => [r.instance_id, r.output]));
}
