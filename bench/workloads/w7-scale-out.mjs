import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@duroxide/core';
import { pool, round, waitForCompleted } from '../lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function startWorker(spec) {
  const child = spawn(
    process.execPath,
    [join(here, '..', 'lib', 'runtime-process.mjs'), JSON.stringify(spec)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      if (String(d).includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`W7 worker exited early with code ${code}`)));
  });
  return { child, ready };
}

async function stopWorker({ child }) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** CPU ms (user + system) a process has used so far, from /proc (Linux); null elsewhere or once it exited. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** CPU used by each party during `measure()`: this process (client), the runtime processes and the server. */
async function withCpu(workers, serverPid, measure) {
  const pids = workers.map((w) => w.child.pid);
  const self0 = process.cpuUsage();
  const before = pids.map(cpuMs);
  const server0 = serverPid ? cpuMs(serverPid) : null;
  const value = await measure();
  const self = process.cpuUsage(self0);
  const after = pids.map(cpuMs);
  const server1 = serverPid ? cpuMs(serverPid) : null;
  const ok = before.every((v) => v !== null) && after.every((v) => v !== null);
  return {
    value,
    cpu: {
      clientMs: round((self.user + self.system) / 1000),
      runtimeProcessesMs: ok ? after.map((v, i) => round(v - before[i])) : null,
      serverMs: server0 !== null && server1 !== null ? round(server1 - server0) : null,
    },
  };
}

/** One W7 point: `processes` runtime processes draining `count` hello instances. */
async function point(store, processes, count) {
  store.fresh?.();
  const spec = store.spec();
  const provider = await store.open();
  const client = new Client(provider);
  const admin = provider.asManagementCapability();
  const workers = Array.from({ length: processes }, () => startWorker(spec));
  try {
    await Promise.all(workers.map((w) => w.ready));
    return await withCpu(workers, store.serverPid?.(), async () => {
      const t0 = performance.now();
      const prefix = `w7-${Date.now()}-${processes}`;
      await pool(count, 32, (i) => client.startOrchestration(`${prefix}-${i}`, 'Hello', i));
      await waitForCompleted(admin, count, 600_000, 10);
      return round((count / (performance.now() - t0)) * 1000);
    });
  } finally {
    await Promise.all(workers.map(stopWorker));
    await provider.close();
  }
}

/** W7: W1 with 1, 2 and 4 runtime processes on one store (Postgres and Redis). */
export async function run({ store, quick }) {
  if (!store.spec) throw new Error(`W7 needs a multi-process store (postgres or redis), not ${store.name}`);
  const count = quick ? 300 : 2000;
  const figures = {};
  const cpu = {};
  for (const processes of [1, 2, 4]) {
    const { value, cpu: used } = await point(store, processes, count);
    figures[`processes${processes}OrchestrationsPerSec`] = value;
    cpu[`processes${processes}`] = used;
  }
  figures.speedup2 = round(figures.processes2OrchestrationsPerSec / figures.processes1OrchestrationsPerSec);
  figures.speedup4 = round(figures.processes4OrchestrationsPerSec / figures.processes1OrchestrationsPerSec);
  return {
    workload: 'W7',
    settings: {
      instances: count,
      clientStartConcurrency: 32,
      perProcess: { orchestrationConcurrency: 4, workerConcurrency: 8 },
    },
    figures,
    // Where the CPU went during each point (Linux): shows which party bounds the speed-up on few cores.
    cpu,
  };
}
