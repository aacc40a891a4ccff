import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteProvider } from '@duroxide/provider-sqlite';
import { describeRuntimeScenarios } from '@duroxide/provider-tests';
import { afterAll } from 'vitest';

describeRuntimeScenarios('sqlite in-memory', { createProvider: () => SqliteProvider.inMemory() });

// One database file per test, in a temp dir removed when the file's tests finish.
const dir = mkdtempSync(join(tmpdir(), 'duroxide-scenarios-'));
let files = 0;
describeRuntimeScenarios('sqlite file', {
  createProvider: () => {
    files += 1;
    return SqliteProvider.open(join(dir, `scenario-${files}.db`));
  },
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
