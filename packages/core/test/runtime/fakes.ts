import type {
  ActivityExecuteItem,
  Event,
  FetchedOrchestrationItem,
  FetchedWorkItem,
  OrchestrationItem,
  PreparedTurn,
  Provider,
  TurnEngine,
  TurnExecution,
  TurnOutcome,
} from '@duroxide/core';
import { vi } from 'vitest';

type Waiter<T> = (value: T | null) => void;

/** A scripted queue: fetches take pushed items in order, or wait until one is pushed or the queue closes. */
class ScriptedQueue<T> {
  private readonly items: T[] = [];
  private readonly waiters: Waiter<T>[] = [];
  private closed = false;

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }

  /** Like a long-polling provider: waits for an item, and an aborted signal ends the wait with null. */
  take(signal?: AbortSignal): Promise<T | null> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift()!);
    if (this.closed || signal?.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: Waiter<T> = (value) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(null);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter(null);
  }
}

/** A provider double for dispatcher tests: scripted fetches, every other method a spy. */
export function fakeProvider() {
  const orch = new ScriptedQueue<FetchedOrchestrationItem>();
  const work = new ScriptedQueue<FetchedWorkItem>();
  const histories = new Map<string, Event[]>();
  const provider = {
    name: 'fake',
    version: '0.0.0',
    capabilities: { longPolling: true },
    fetchOrchestrationItem: vi.fn<Provider['fetchOrchestrationItem']>((_l, _p, _f, options) =>
      orch.take(options?.signal),
    ),
    ackOrchestrationItem: vi.fn<Provider['ackOrchestrationItem']>(async () => {}),
    abandonOrchestrationItem: vi.fn<Provider['abandonOrchestrationItem']>(async () => {}),
    renewOrchestrationItemLock: vi.fn<Provider['renewOrchestrationItemLock']>(async () => {}),
    read: vi.fn<Provider['read']>(async () => []),
    readWithExecution: vi.fn<Provider['readWithExecution']>(
      async (instance: string, executionId: number) => histories.get(`${instance}#${executionId}`) ?? [],
    ),
    appendWithExecution: vi.fn<Provider['appendWithExecution']>(async () => {}),
    enqueueForOrchestrator: vi.fn<Provider['enqueueForOrchestrator']>(async () => {}),
    enqueueForWorker: vi.fn<Provider['enqueueForWorker']>(async () => {}),
    fetchWorkItem: vi.fn<Provider['fetchWorkItem']>((_l, _p, _s, _t, options) => work.take(options?.signal)),
    ackWorkItem: vi.fn<Provider['ackWorkItem']>(async () => {}),
    abandonWorkItem: vi.fn<Provider['abandonWorkItem']>(async () => {}),
    renewWorkItemLock: vi.fn<Provider['renewWorkItemLock']>(async () => {}),
    renewSessionLock: vi.fn<Provider['renewSessionLock']>(async () => 0),
    cleanupOrphanedSessions: vi.fn<Provider['cleanupOrphanedSessions']>(async () => 0),
    getCustomStatus: vi.fn<Provider['getCustomStatus']>(async () => null),
    getKvValue: vi.fn<Provider['getKvValue']>(async () => null),
    getKvAllValues: vi.fn<Provider['getKvAllValues']>(async () => ({})),
    getInstanceStats: vi.fn<Provider['getInstanceStats']>(async () => null),
    waitForInstanceChange: vi.fn<Provider['waitForInstanceChange']>(async () => {}),
    asManagementCapability: vi.fn<Provider['asManagementCapability']>(() => null),
    close: vi.fn<Provider['close']>(async () => {
      orch.close();
      work.close();
    }),
  } satisfies Provider;
  return {
    provider,
    pushOrchestration: (f: FetchedOrchestrationItem) => orch.push(f),
    pushWork: (f: FetchedWorkItem) => work.push(f),
    setHistory: (instance: string, executionId: number, events: Event[]) =>
      histories.set(`${instance}#${executionId}`, events),
  };
}

/** An orchestration batch for `instance` with the given history and messages. */
export function orchestrationItem(
  instance: string,
  overrides: Partial<OrchestrationItem> = {},
): OrchestrationItem {
  return {
    instance,
    orchestrationName: 'Flow',
    executionId: 1,
    version: 'unknown',
    history: [],
    messages: [{ kind: 'StartOrchestration', instance, orchestration: 'Flow', input: '"x"', executionId: 1 }],
    historyError: null,
    kvSnapshot: {},
    ...overrides,
  };
}

/** An activity work item. */
export function activityItem(overrides: Partial<ActivityExecuteItem> = {}): ActivityExecuteItem {
  return {
    kind: 'ActivityExecute',
    instance: 'inst-1',
    executionId: 1,
    id: 2,
    name: 'Greet',
    input: '"Ada"',
    ...overrides,
  };
}

/** An `OrchestrationStarted` event. */
export function startedEvent(instance: string, extra: Record<string, unknown> = {}): Event {
  return {
    eventId: 1,
    sourceEventId: null,
    instanceId: instance,
    executionId: 1,
    timestampMs: 1,
    duroxideVersion: '0.1.0',
    kind: 'OrchestrationStarted',
    name: 'Flow',
    version: '1.0.0',
    input: '"x"',
    ...extra,
  } as Event;
}

/** A replay-engine double: `run` preparations and completed outcomes, recording each execution. */
export function fakeEngine(prepare?: (item: OrchestrationItem) => PreparedTurn) {
  const executions: TurnExecution[] = [];
  const engine: TurnEngine = {
    prepareTurn:
      prepare ??
      ((item) => ({
        type: 'run',
        instance: item.instance,
        executionId: item.executionId,
        orchestrationName: item.orchestrationName,
        requestedVersion: null,
        isNewExecution: item.history.length === 0,
        state: item,
      })),
    async executeTurn(prepared, execution): Promise<TurnOutcome> {
      executions.push(execution);
      return {
        ack: {
          executionId: prepared.executionId,
          historyDelta: [startedEvent(prepared.instance, { version: execution.version })],
          workerItems: [],
          orchestratorItems: [],
          metadata: { status: 'Completed', output: '"done"' },
          cancelledActivities: [],
        },
        result: { type: 'completed', output: '"done"' },
        history: [],
        dropped: [],
      };
    },
  };
  return { engine, executions };
}

/** A logger that records lines (keeps test output quiet). */
export function silentLogger() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, ...(fields ? { fields } : {}) });
  };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** Resolves once `predicate` holds, checking after each macrotask; fails after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
