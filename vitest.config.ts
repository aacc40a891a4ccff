import { defineConfig } from 'vitest/config';

// Tests import workspace packages through their `source` export condition, so no build is needed.
export default defineConfig({
  resolve: { conditions: ['source', 'module', 'node', 'import', 'default'] },
  // `mainFields` lets Vite load OpenTelemetry SDK packages (no `exports`, CJS `main`) from their ESM builds:
  // natively loaded CJS would `require` @opentelemetry/api under the `module` condition and fail.
  ssr: {
    resolve: {
      conditions: ['source', 'module', 'node', 'import', 'default'],
      mainFields: ['module', 'main'],
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
