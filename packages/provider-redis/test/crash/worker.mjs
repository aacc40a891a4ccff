// Crash-test worker: runs a runtime on Redis until SIGKILLed (or SIGTERM for a clean stop).
// Imports the BUILT packages (dist/), so run `pnpm build` first. Usage: node worker.mjs <redis-url> <key-prefix>
import { Runtime } from '@duroxide/core';
import { RedisProvider } from '@duroxide/provider-redis';
import { registerCrashWorkflow } from './workflow.mjs';

const [url, keyPrefix] = process.argv.slice(2);
if (!url || !keyPrefix) {
  process.stderr.write('usage: node worker.mjs <redis-url> <key-prefix>\n');
  process.exit(2);
}

const provider = await RedisProvider.connect(url, { keyPrefix });
// Short locks so work held by a killed process is recovered within about a second.
const runtime = new Runtime(provider, {
  orchestrationConcurrency: 4,
  workerConcurrency: 8,
  dispatcherMinPollIntervalMs: 10,
  dispatcherLongPollTimeoutMs: 1_000,
  orchestratorLockTimeoutMs: 1_000,
  orchestratorLockRenewalBufferMs: 500,
  workerLockTimeoutMs: 1_000,
  workerLockRenewalBufferMs: 500,
  maxAttempts: 50,
  activityCancellationGracePeriodMs: 200,
  observability: { logLevel: 'error' },
});
// Outside the provider's keys: a per-process count of activity runs, read by the test.
registerCrashWorkflow(runtime, () =>
  provider.connection.hincrby(`${keyPrefix}-runs`, String(process.pid), 1),
);
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
