import { SqliteProvider } from '@duroxide/provider-sqlite';
import { describeRuntimeScenarios } from '@duroxide/provider-tests';

// scenarios.test.ts runs the suite with the instance cache on (the default); this runs it with the cache
// off, so every turn replays from the start and both paths are held to the same scenarios.
describeRuntimeScenarios('sqlite in-memory, instance cache off', {
  createProvider: () => SqliteProvider.inMemory(),
  runtimeOptions: { instanceCacheSize: 0 },
});
