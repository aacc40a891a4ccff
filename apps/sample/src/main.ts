#!/usr/bin/env node
// The order-fulfilment sample's entry point: `node dist/main.js --help` lists the options.
import { runSample } from './cli.js';

process.exitCode = await runSample(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
