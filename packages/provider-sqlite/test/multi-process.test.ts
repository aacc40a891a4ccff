import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteProvider, sqliteTestHooks } from '../src/index.js';
import { start, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, '..');
const fixture = join(here, 'fixtures', 'hammer.mjs');
const INSTANCES = 1000;
const CHILD_DEADLINE_MS = 15_000;

const dir = tempDir('multi-process');
afterAll(() => dir.cleanup());

interface ChildReport {
  worker: string;
  consumed: [instance: string, kind: string, id: number][];
  activities: [instance: string, id: number][];
  failures: string[];
  retries: number;
}

/** The children import the built package; a missing or stale dist would test old code. */
function assertDistIsFresh(): void {
  const src = join(packageRoot, 'src');
  for (const name of readdirSync(src).filter((f) => f.endsWith('.ts'))) {
    const built = join(packageRoot, 'dist', name.replace(/\.ts$/, '.js'));
    const hint = 'build first: cd /work/main && TURBO_TELEMETRY_DISABLED=1 pnpm build';
    expect(existsSync(built), `${built} is missing; ${hint}`).toBe(true);
    expect(statSync(built).mtimeMs, `${built} is older than src/${name}; ${hint}`).toBeGreaterThanOrEqual(
      statSync(join(src, name)).mtimeMs,
    );
  }
}

function spawnChild(
  file: string,
  worker: string,
): { child: ChildProcess; ready: Promise<void>; done: Promise<ChildReport> } {
  const child = fork(fixture, [file, worker, String(INSTANCES), String(CHILD_DEADLINE_MS)], {
    cwd: packageRoot,
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const done = new Promise<ChildReport>((resolve, reject) => {
    child.on('message', (msg: { type: string } & ChildReport) => {
      if (msg.type === 'ready') onReady();
      if (msg.type === 'done') resolve(msg);
    });
    child.on('exit', (code) => reject(new Error(`child ${worker} exited (${code}) before reporting`)));
    child.on('error', reject);
  });
  return { child, ready, done };
}

describe('several processes on one database file', () => {
  it('two processes hammering fetch/ack lose nothing and process nothing twice', async () => {
    assertDistIsFresh();
    const file = dir.path('shared.db');
    const setup = await SqliteProvider.open(file);
    for (let i = 0; i < INSTANCES; i++) await setup.enqueueForOrchestrator(start(`mp-${i}`));

    const children = [spawnChild(file, 'A'), spawnChild(file, 'B')];
    try {
      await Promise.all(children.map((c) => c.ready));
      const t0 = performance.now();
      for (const c of children) c.child.send('go');
      const reports = await Promise.all(children.map((c) => c.done));
      const elapsed = performance.now() - t0;

      expect(reports.flatMap((r) => r.failures)).toEqual([]);
      // Every start and every completion was consumed by exactly one turn in one process.
      const consumed = reports.flatMap((r) => r.consumed.map(([i, k, id]) => `${i}/${k}/${id}`));
      expect(new Set(consumed).size, 'no message consumed twice').toBe(consumed.length);
      expect(consumed.length, 'one start and two completions per instance').toBe(INSTANCES * 3);
      const activities = reports.flatMap((r) => r.activities.map(([i, id]) => `${i}/${id}`));
      expect(new Set(activities).size, 'no activity executed twice').toBe(activities.length);
      expect(activities.length).toBe(INSTANCES * 2);
      for (const r of reports) expect(r.consumed.length, `process ${r.worker} took part`).toBeGreaterThan(0);

      // The database agrees: every instance completed with exactly its six events; queues and locks empty.
      const db = sqliteTestHooks.database(setup);
      const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      expect(one(`SELECT COUNT(*) AS n FROM executions WHERE status = 'Completed'`)).toBe(INSTANCES);
      expect(one('SELECT COUNT(*) AS n FROM history')).toBe(INSTANCES * 6);
      const perInstance = db
        .prepare(
          'SELECT COUNT(*) AS n, MAX(event_id) AS m FROM history GROUP BY instance_id HAVING n <> 6 OR m <> 6',
        )
        .all();
      expect(perInstance).toEqual([]);
      for (const table of ['orchestrator_queue', 'worker_queue', 'instance_locks']) {
        expect(one(`SELECT COUNT(*) AS n FROM ${table}`), `${table} is empty`).toBe(0);
      }
      const split = reports.map(
        (r) =>
          `${r.worker}: ${r.consumed.length} messages, ${r.activities.length} activities, ${r.retries} busy retries`,
      );
      console.log(`multi-process: ${INSTANCES} instances in ${elapsed.toFixed(0)} ms; ${split.join('; ')}`);
    } finally {
      for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
      await setup.close();
    }
  }, 30_000);
});
