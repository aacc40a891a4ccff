/**
 * Shared setup for the docs-examples-*.test.ts files, which run the code examples of packages/core/README.md
 * and docs/migrating-from-duroxide-node.md on in-memory SQLite.
 */
import { Client, Runtime, type RuntimeOptions } from '@duroxide/core';
import { SqliteProvider } from '@duroxide/provider-sqlite';

/** Quiet, fast runtimes; the docs' examples use the defaults, which behave the same here. */
export const QUIET: RuntimeOptions = { observability: { logLevel: 'off', traceLevel: 'off' } };

/** What to close after the current test (what `app` started, and anything a test adds); see `runCleanups`. */
export const cleanups: (() => Promise<void>)[] = [];

/** Shuts down what `app` started, newest first; each test file registers it with `afterEach`. */
export async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

/** An in-memory provider, a started runtime with `register` applied, and a client. */
export async function app(
  register: (runtime: Runtime) => void,
  options: RuntimeOptions = {},
  provider?: SqliteProvider,
): Promise<{ provider: SqliteProvider; runtime: Runtime; client: Client }> {
  const store = provider ?? (await SqliteProvider.inMemory());
  const runtime = new Runtime(store, { ...QUIET, ...options });
  cleanups.push(async () => {
    await runtime.shutdown();
    await store.close();
  });
  register(runtime);
  await runtime.start();
  return { provider: store, runtime, client: new Client(store) };
}

/** Resolves once `check` holds, re-checking every few ms (for effects outside the store). */
export async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
