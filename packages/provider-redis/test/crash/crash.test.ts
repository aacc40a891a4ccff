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
import { RedisProvider } from '../../src/index.js';
import { uniquePrefix, useRedisServer } from '../support/redis-server.js';
import { expectedOutput, PARENT_STEPS } from './workflow.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, 'worker.mjs');
const BUILT = [join(here, '../../../core/dist/index.js'), join(here, '../../dist/index.js')];
const INSTANCES = 200;
const PROCESSES = 3;
const KILLS = 5;

const url = useRedisServer();

/** A history event as read back through the client. */
interface Ev {
  eventId: number;
  kind: string;
  sourceEventId?: number | null;
  [field: string]: unknown;
}

type Worker = RuntimeProcess;

/** Spawns a runtime process on the store; `ready` resolves once its runtime has started. */
const spawnWorker = (keyPrefix: string): Worker => spawnRuntimeProcess(WORKER, [url(), keyPrefix]);

describe('scale-out and crash safety (SIGKILL) on Redis', () => {
  it(`${INSTANCES} instances on ${PROCESSES} processes survive ${KILLS} SIGKILLs: each completes exactly once`, async () => {
    for (const file of BUILT) {
      if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm build\` before the crash test`);
    }
    const keyPrefix = uniquePrefix('crash');
    const provider = await RedisProvider.connect(url(), { keyPrefix });
    const client = new Client(provider);
    const ids = Array.from({ length: INSTANCES }, (_, n) => `crash-${n}`);
    const workers: Worker[] = [];
    try {
      for (const [n, id] of ids.entries()) await client.startOrchestration(id, 'CrashFlow', n);
      for (let i = 0; i < PROCESSES; i++) workers.push(spawnWorker(keyPrefix));
      await Promise.all(workers.map((w) => w.ready));

      const completedAtKill: number[] = [];
      for (let k = 0; k < KILLS; k++) {
        // A random moment: the kill is the point of the test, not a wait for a condition.
        await pause(randomBetween(50, 250));
        const victim = workers.splice(randomBetween(0, workers.length), 1)[0] as Worker;
        victim.child.kill('SIGKILL');
        const exit = await victim.exited;
        expect(exit.signal, victim.stderr()).toBe('SIGKILL');
        completedAtKill.push(
          (await client.listInstancesByStatus('Completed')).filter((i) => ids.includes(i)).length,
        );
        const replacement = spawnWorker(keyPrefix);
        workers.push(replacement);
        await replacement.ready;
      }
      console.info(`redis crash test: completed instances at each kill: ${completedAtKill.join(', ')}`);
      // Most kills must interrupt work in progress, or the test proves little.
      expect(
        completedAtKill.filter((c) => c < INSTANCES).length,
        `completed at each kill: ${completedAtKill}`,
      ).toBeGreaterThanOrEqual(3);

      for (const [n, id] of ids.entries()) {
        const status = await client.waitForOrchestration(id, 30_000);
        expect(status.status, `${id}: ${String(status.error)}`).toBe('Completed');
        expect(status.output).toEqual(expectedOutput(n));
      }
      for (const worker of workers.splice(0)) {
        worker.child.kill('SIGTERM');
        expect((await worker.exited).code, worker.stderr()).toBe(0);
      }

      for (const id of ids) {
        expect(await client.listExecutions(id)).toEqual([1]);
        const events = (await client.readExecutionHistory(id, 1)) as unknown as Ev[];
        expectWellFormedHistory(id, events);
        expect(scheduledSteps(events)).toEqual([...PARENT_STEPS].sort());
        const kinds = events.map((e) => e.kind);
        for (const k of [
          'TimerCreated',
          'TimerFired',
          'SubOrchestrationScheduled',
          'SubOrchestrationCompleted',
        ]) {
          expect(
            kinds.filter((x) => x === k),
            `${id} ${k}`,
          ).toHaveLength(1);
        }
        const sub = String(events.find((e) => e.kind === 'SubOrchestrationScheduled')?.instance);
        const childId = sub.startsWith('sub::') ? `${id}::${sub}` : sub;
        const childEvents = (await client.readExecutionHistory(childId, 1)) as unknown as Ev[];
        expectWellFormedHistory(childId, childEvents);
        expect(scheduledSteps(childEvents)).toEqual(['child']);
      }

      // Nothing stranded: both queues and every lock index are empty.
      const redis = provider.connection;
      expect(await redis.zcard(`${keyPrefix}:oq`)).toBe(0);
      expect(await redis.zcard(`${keyPrefix}:wq`)).toBe(0);
      expect(await redis.hlen(`${keyPrefix}:lktok`)).toBe(0);
      expect(await redis.hlen(`${keyPrefix}:wtk`)).toBe(0);
      // Scale-out: activities ran in more than one process.
      const runs = await redis.hgetall(`${keyPrefix}-runs`);
      expect(Object.keys(runs).length, JSON.stringify(runs)).toBeGreaterThan(1);
    } finally {
      for (const worker of workers) worker.child.kill('SIGKILL');
      await provider.close();
    }
  }, 120_000);
});
