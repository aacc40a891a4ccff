/**
 * Import this first in every test file of this package, before anything that imports `pg`.
 *
 * Why: the root vitest config runs test processes with `--conditions import`, so when `pg`'s CommonJS
 * code calls `require('pg-pool')`, Node resolves pg-pool's ESM build and `require(esm)` hands back a
 * module namespace; `class Pool extends require('pg-pool')` then throws. Pre-seeding the require cache
 * with pg-pool's CommonJS build under the ESM path gives pg what it expects. Built code (child processes
 * without that flag) never needs this.
 */
import { realpathSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';

const fromHere = createRequire(import.meta.url);
const pgMain = realpathSync(fromHere.resolve('pg'));
const fromPg = createRequire(pgMain);
const resolved = fromPg.resolve('pg-pool');
if (/\.mjs$/.test(resolved) || /[\\/]esm[\\/]/.test(resolved)) {
  const cjsPath = join(dirname(resolved), '..', 'index.js');
  const cached = new Module(resolved);
  cached.filename = resolved;
  cached.exports = fromPg(cjsPath);
  cached.loaded = true;
  (fromPg.cache as Record<string, unknown>)[resolved] = cached;
}
