// Crash-test worker: runs a runtime on a SQLite file until SIGKILLed (or SIGTERM for a clean stop).
// Imports the BUILT packages (dist/), so run `pnpm build` first. Usage: node worker.mjs <db-path>
import { Runtime } from '@duroxide/core';
import { SqliteProvider } from '@duroxide/provider-sqlite';
import { registerCrashWorkflow } from './workflow.mjs';

const dbPath = process.argv[2];
if (!dbPath) {
  process.stderr.write('usage: node worker.mjs <db-path>\n');
  process.exit(2);
}

const provider = await SqliteProvider.open(dbPath);
// Short locks so work held by a killed predecessor is recovered within about a second.
const runtime = new Runtime(provider, {
  orchestrationConcurrency: 4,
  workerConcurrency: 8,
  dispatcherMinPollIntervalMs: 10,
  dispatcherLongPollTimeoutMs: 200,
  orchestratorLockTimeoutMs: 1_000,
  orchestratorLockRenewalBufferMs: 500,
  workerLockTimeoutMs: 1_000,
  workerLockRenewalBufferMs: 500,
  maxAttempts: 50,
  activityCancellationGracePeriodMs: 200,
  observability: { logLevel: 'error' },
  // crash-no-cache.test.ts runs the same crash test with the instance cache off.
  ...(process.env.DUROXIDE_INSTANCE_CACHE_SIZE !== undefined
    ? { instanceCacheSize: Number(process.env.DUROXIDE_INSTANCE_CACHE_SIZE) }
    : {}),
});
registerCrashWorkflow(runtime);
await runtime.start();
process.stdout.write('READY\n');

process.on('SIGTERM', () => {
  void (async () => {
    await runtime.shutdown(5_000);
    await provider.close();
    process.stdout.write('STOPPED\n');
    process.exit(0);
  })().catch((e) => {
    process.stderr.write(`shutdown failed: ${e?.stack ?? e}\n`);
    process.exit(1);
  });
});
