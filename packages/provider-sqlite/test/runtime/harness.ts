import { Client, type Logger, Runtime, type RuntimeOptions } from '@duroxide/core';
import { SqliteProvider } from '@duroxide/provider-sqlite';

/** A logger that keeps lines in memory (quiet test output, assertable warnings). */
export function memoryLogger(): {
  logger: Logger;
  lines: { level: string; message: string; fields?: unknown }[];
} {
  const lines: { level: string; message: string; fields?: unknown }[] = [];
  const at = (level: string) => (message: string, fields?: unknown) => {
    lines.push({ level, message, fields });
  };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** Small timeouts so failure paths run in milliseconds rather than seconds. */
export const FAST_OPTIONS: RuntimeOptions = {
  orchestrationConcurrency: 2,
  workerConcurrency: 4,
  dispatcherMinPollIntervalMs: 10,
  dispatcherLongPollTimeoutMs: 1_000,
};

/** A provider, runtime and client; `close()` shuts everything down. */
export interface Harness {
  provider: SqliteProvider;
  runtime: Runtime;
  client: Client;
  lines: { level: string; message: string; fields?: unknown }[];
  /** Starts the runtime after registrations. */
  start(): Promise<void>;
  /** Shuts down the runtime and closes the provider. */
  close(): Promise<void>;
}

/** Creates an in-memory SQLite provider with a runtime (not yet started) and a client. */
export async function harness(options: RuntimeOptions = {}, provider?: SqliteProvider): Promise<Harness> {
  const store = provider ?? (await SqliteProvider.inMemory());
  const log = memoryLogger();
  const runtime = new Runtime(store, {
    ...FAST_OPTIONS,
    ...options,
    observability: { logger: log.logger, ...options.observability },
  });
  const client = new Client(store);
  return {
    provider: store,
    runtime,
    client,
    lines: log.lines,
    start: () => runtime.start(),
    async close() {
      await runtime.shutdown(2_000);
      if (!provider) await store.close();
    },
  };
}

/** Resolves once the async `predicate` holds, re-checking every few ms; fails after `timeoutMs`. */
export async function eventually(
  predicate: () => Promise<boolean> | boolean,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
