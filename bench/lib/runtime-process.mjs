// A W7 worker process: runs a Runtime with the W1 registrations until SIGTERM. argv[2] = JSON provider spec.
import { Runtime } from '@duroxide/core';
import { openFromSpec } from './open-spec.mjs';

const spec = JSON.parse(process.argv[2]);
const provider = await openFromSpec(spec);
const runtime = new Runtime(provider, {
  orchestrationConcurrency: spec.orchestrations ?? 4,
  workerConcurrency: spec.workers ?? 8,
});
runtime.registerActivity('Echo', async (_ctx, input) => input);
runtime.registerOrchestration('Hello', async (ctx, input) => ctx.scheduleActivity('Echo', input));
await runtime.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  runtime
    .shutdown(10_000)
    .then(() => provider.close())
    .then(() => process.exit(0))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
});
