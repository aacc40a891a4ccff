// Crash-test worker: one runtime process on Postgres, run until SIGKILLed (or SIGTERM for a clean stop).
// Imports the BUILT packages (dist/), so run `pnpm build` first.
// Usage: node worker.mjs <postgres-url> <schema>
import { Runtime } from '@duroxide/core';
import { PostgresProvider } from '@duroxide/provider-postgres';
import pg from 'pg';
import { registerCrashWorkflow } from './workflow.mjs';

const [url, schema] = process.argv.slice(2);
if (!url || !schema) {
  process.stderr.write('usage: node worker.mjs <postgres-url> <schema>\n');
  process.exit(2);
}

const provider = await PostgresProvider.connectWithSchema(url, schema, { poolSize: 8 });
// Outside the provider's tables: a per-process count of activity runs, read by the test.
const runs = new pg.Pool({ connectionString: url, max: 2 });
runs.on('error', () => {});
// Short locks so work held by a killed process is recovered within about a second.
const runtime = new Runtime(provider, {
  orchestrationConcurrency: 4,
  workerConcurrency: 8,
  dispatcherMinPollIntervalMs: 10,
  dispatcherLongPollTimeoutMs: 2_000,
  orchestratorLockTimeoutMs: 1_500,
  orchestratorLockRenewalBufferMs: 500,
  workerLockTimeoutMs: 1_500,
  workerLockRenewalBufferMs: 500,
  maxAttempts: 50,
  activityCancellationGracePeriodMs: 200,
  observability: { logLevel: 'error' },
});
registerCrashWorkflow(runtime, () =>
  runs.query(
    `INSERT INTO "${schema}".crash_runs (pid, runs) VALUES ($1, 1)
     ON CONFLICT (pid) DO UPDATE SET runs = crash_runs.runs + 1`,
    [process.pid],
  ),
);
await runtime.start();
process.stdout.write('READY\n');

process.on('SIGTERM', () => {
  void (async () => {
    await runtime.shutdown(5_000);
    await provider.close();
    await runs.end();
    process.stdout.write('STOPPED\n');
    process.exit(0);
  })().catch((e) => {
    process.stderr.write(`shutdown failed: ${e?.stack ?? e}\n`);
    process.exit(1);
  });
});
