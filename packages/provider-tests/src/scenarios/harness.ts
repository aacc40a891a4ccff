import { Client, type Provider, Runtime, type RuntimeOptions } from '@duroxide/core';
import { expect, it } from 'vitest';
import type { ResolvedScenarioOptions } from './options.js';

/** A history event as the client returns it, loosely typed so tests can read any kind's fields. */
export interface HistoryEvent {
  /** Position in the execution's history. */
  eventId: number;
  /** Duroxide's event name, e.g. `ActivityScheduled`. */
  kind: string;
  /** The schedule event a completion answers. */
  sourceEventId?: number | null;
  /** When the event was written. */
  timestampMs: number;
  /** The kind's own fields (`name`, `input`, `result`, `fireAtMs`, `data`, …). */
  [field: string]: unknown;
}

/** The status object `getStatus` / `waitForOrchestration` resolve with. */
export type ScenarioStatus = Awaited<ReturnType<Client['getStatus']>>;

/** A promise the test resolves by hand (gates activities so completion order is test-controlled). */
export interface Gate<T = void> {
  /** Settles when `open` is called. */
  readonly promise: Promise<T>;
  /** Lets everything waiting on the gate through. */
  open(value: T): void;
  /** Whether `open` was called. */
  readonly isOpen: boolean;
}

/** Creates a gate. */
export function gate<T = void>(): Gate<T> {
  let resolve!: (value: T) => void;
  let isOpen = false;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return {
    promise,
    open(value: T) {
      isOpen = true;
      resolve(value);
    },
    get isOpen() {
      return isOpen;
    },
  };
}

let counter = 0;
/** A unique instance id (tests may share one store). */
export function uniqueInstanceId(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** Polls `check` every few ms until it returns a non-undefined value or the deadline passes. */
export async function waitUntil<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One test's world: a provider, a client, the runtimes it started and the gates it opened. */
export class Scenario {
  /** The client every test uses. */
  readonly client: Client;
  private readonly runtimes: Runtime[] = [];
  private readonly gates: Gate<unknown>[] = [];

  constructor(
    /** The provider under test. */
    readonly provider: Provider,
    private readonly options: ResolvedScenarioOptions,
  ) {
    this.client = new Client(provider);
  }

  /** A unique instance id. */
  id(prefix: string): string {
    return uniqueInstanceId(prefix);
  }

  /** A gate that `dispose` opens (with `undefined`) so no activity hangs past its test. */
  gate<T = void>(): Gate<T> {
    const g = gate<T>();
    this.gates.push(g as Gate<unknown>);
    return g;
  }

  /** Builds a runtime with the suite's options plus `overrides`, lets `register` add handlers, starts it. */
  async startRuntime(register: (rt: Runtime) => void, overrides?: Partial<RuntimeOptions>): Promise<Runtime> {
    const rt = new Runtime(this.provider, { ...this.options.runtimeOptions, ...overrides });
    register(rt);
    await rt.start();
    this.runtimes.push(rt);
    return rt;
  }

  /** Shuts a runtime down (a "restart" is stop + startRuntime on the same provider). */
  async stopRuntime(rt: Runtime, timeoutMs = 5_000): Promise<void> {
    const index = this.runtimes.indexOf(rt);
    if (index >= 0) this.runtimes.splice(index, 1);
    await rt.shutdown(timeoutMs);
  }

  /** Starts an instance and waits for it to finish. */
  async run(id: string, name: string, input?: unknown, timeoutMs = 10_000): Promise<ScenarioStatus> {
    await this.client.startOrchestration(id, name, input);
    return this.client.waitForOrchestration(id, timeoutMs);
  }

  /** Waits for the instance and asserts it completed; returns the parsed output. */
  async completed(id: string, timeoutMs = 10_000): Promise<unknown> {
    const status = await this.client.waitForOrchestration(id, timeoutMs);
    expect(status.status, `instance ${id} failed: ${String(status.error)}`).toBe('Completed');
    return status.output;
  }

  /** Waits for the instance and asserts it failed; returns the error message. */
  async failed(id: string, timeoutMs = 10_000): Promise<string> {
    const status = await this.client.waitForOrchestration(id, timeoutMs);
    expect(status.status, `instance ${id} output: ${JSON.stringify(status.output)}`).toBe('Failed');
    return String(status.error);
  }

  /** The instance's current execution id (1 when it has none yet). */
  async currentExecution(id: string): Promise<number> {
    const executions = await this.client.listExecutions(id).catch(() => [] as number[]);
    return executions.length === 0 ? 1 : Math.max(...executions);
  }

  /** One execution's history (default: the current one). */
  async history(id: string, executionId?: number): Promise<HistoryEvent[]> {
    const exec = executionId ?? (await this.currentExecution(id));
    const events = await this.client.readExecutionHistory(id, exec);
    return events as unknown as HistoryEvent[];
  }

  /** The kinds of one execution's events, in order. */
  async kinds(id: string, executionId?: number): Promise<string[]> {
    return (await this.history(id, executionId)).map((e) => e.kind);
  }

  /** Polls the history of one execution (default: current) until `check` accepts it. */
  async waitForHistory(
    id: string,
    check: (events: HistoryEvent[]) => boolean,
    what: string,
    options: { executionId?: number; timeoutMs?: number } = {},
  ): Promise<HistoryEvent[]> {
    return waitUntil(
      async () => {
        // The instance or execution may not exist yet: treat a failed read as "not yet".
        const events = await this.history(id, options.executionId).catch(() => [] as HistoryEvent[]);
        return check(events) ? events : undefined;
      },
      `${what} in the history of ${id}`,
      options.timeoutMs,
    );
  }

  /** Handshake before `raiseEvent`: waits until `count` subscriptions named `name` are recorded. */
  async waitForSubscription(id: string, name: string, count = 1, executionId?: number): Promise<void> {
    await this.waitForHistory(
      id,
      (events) => events.filter((e) => e.kind === 'ExternalSubscribed' && e.name === name).length >= count,
      `${count} ExternalSubscribed '${name}'`,
      { executionId },
    );
  }

  /** Waits until `count` events of `kind` (optionally with `name`) are in the history. */
  async waitForKind(id: string, kind: string, count = 1, name?: string): Promise<HistoryEvent[]> {
    return this.waitForHistory(
      id,
      (events) =>
        events.filter((e) => e.kind === kind && (name === undefined || e.name === name)).length >= count,
      `${count} ${kind}${name === undefined ? '' : ` '${name}'`}`,
    );
  }

  /** Follows the custom status with `waitForStatusChange` until `check` accepts it. */
  async waitForCustomStatus(
    id: string,
    check: (customStatus: string | null | undefined) => boolean,
    timeoutMs = 5_000,
  ): Promise<ScenarioStatus> {
    const deadline = Date.now() + timeoutMs;
    let version = 0;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`custom status of ${id} never matched within ${timeoutMs} ms`);
      const status = await this.client.waitForStatusChange(id, version, 10, remaining);
      if (check(status.customStatus)) return status;
      if (status.status === 'Completed' || status.status === 'Failed') {
        throw new Error(`instance ${id} ended (${status.status}) before its custom status matched`);
      }
      version = status.customStatusVersion;
    }
  }

  /** Waits until the provider has no unlocked orchestrator messages (every sent message was processed). */
  async waitForOrchestratorQueueEmpty(timeoutMs = 5_000): Promise<void> {
    await waitUntil(
      async () => ((await this.client.getQueueDepths()).orchestratorQueue === 0 ? true : undefined),
      'an empty orchestrator queue',
      timeoutMs,
    );
  }

  /** Opens every gate, shuts every runtime down and destroys the provider. */
  async dispose(): Promise<void> {
    for (const g of this.gates) if (!g.isOpen) g.open(undefined);
    const runtimes = this.runtimes.splice(0);
    await Promise.all(runtimes.map((rt) => rt.shutdown(2_000)));
    await this.options.destroyProvider(this.provider);
  }
}

/** A scenario test body. */
export type ScenarioBody = (s: Scenario) => Promise<void>;

/** `it` with a fresh Scenario (provider + client) that is always disposed. */
export type ScenarioIt = (title: string, body: ScenarioBody, timeoutMs?: number) => void;

/** Builds the `it` wrapper every scenario group uses. */
export function scenarioIt(options: ResolvedScenarioOptions): ScenarioIt {
  return (title, body, timeoutMs = 20_000) => {
    it(
      title,
      async () => {
        const scenario = new Scenario(await options.createProvider(), options);
        try {
          await body(scenario);
        } finally {
          await scenario.dispose();
        }
      },
      timeoutMs,
    );
  };
}

/** Counts how many times something ran (activity executions), shared between test and handlers. */
export class Counter {
  private readonly counts = new Map<string, number>();
  /** Adds one to `key` and returns the new count. */
  hit(key = 'default'): number {
    const next = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, next);
    return next;
  }
  /** The current count of `key`. */
  get(key = 'default'): number {
    return this.counts.get(key) ?? 0;
  }
}

/** Waits for an activity's abort signal (or a safety cap so nothing hangs forever); true when aborted. */
export function abortedOrAfter(signal: AbortSignal, capMs: number): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), capMs);
    timer.unref?.();
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      { once: true },
    );
  });
}
