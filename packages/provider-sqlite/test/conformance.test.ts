import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeProviderConformance } from '@duroxide/provider-tests';
import { afterAll } from 'vitest';
import { SqliteProvider, sqliteTestHooks } from '../src/index.js';

const hooks = {
  corruptInstanceHistory: sqliteTestHooks.corruptInstanceHistory,
  getMaxAttemptCount: sqliteTestHooks.getMaxAttemptCount,
};

describeProviderConformance('sqlite (memory)', {
  createProvider: ({ clock }) => SqliteProvider.inMemory({ clock }),
  ...hooks,
});

// One database file per test, in a temp directory removed when the suite ends.
const dir = mkdtempSync(join(tmpdir(), 'duroxide-sqlite-conformance-'));
let fileCounter = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeProviderConformance('sqlite (file)', {
  createProvider: ({ clock }) => {
    fileCounter += 1;
    return SqliteProvider.open(`sqlite:${join(dir, `kit-${fileCounter}.db`)}`, { clock });
  },
  ...hooks,
});
