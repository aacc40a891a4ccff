/**
 * Test utility: an in-memory store that drives orchestrations through prepareTurn/executeTurn, applies
 * acks to per-execution histories, runs activities, fires timers (virtual clock) and routes messages.
 */
import {
  type ActivityExecuteItem,
  activityFailure,
  type Event,
  executeTurn,
  type KvEntry,
  type OrchestrationHandler,
  type OrchestrationItem,
  type OrchestratorItem,
  prepareTurn,
  type TurnOutcome,
  workItemInstance,
} from '@duroxide/core';

/** An activity implementation for the simulator: input and output are decoded JSON. */
export type SimActivity = (input: any) => unknown;

interface InstanceState {
  executions: Event[][];
  kvStore: Map<string, KvEntry>;
  kvDelta: Map<string, KvEntry | null>;
  kvClearAll: boolean;
  customStatus: string | null;
  customStatusVersion: number;
}

/** A simulated provider + runtime pair, single process, fully deterministic. */
export class Sim {
  nowMs = 1_700_000_000_000;
  readonly instances = new Map<string, InstanceState>();
  queue: { item: OrchestratorItem; visibleAt: number }[] = [];
  worker: ActivityExecuteItem[] = [];
  readonly outcomes: { instance: string; outcome: TurnOutcome }[] = [];
  readonly traces: string[] = [];
  turns = 0;

  constructor(
    readonly orchestrations: Record<string, OrchestrationHandler>,
    readonly activities: Record<string, SimActivity> = {},
  ) {}

  /** Enqueues a client start. */
  start(instance: string, name: string, input?: unknown, version?: string): void {
    this.enqueue({
      kind: 'StartOrchestration',
      instance,
      orchestration: name,
      input: JSON.stringify(input ?? null),
      ...(version !== undefined ? { version } : {}),
      executionId: 1,
    });
  }

  /** Enqueues an orchestrator message, visible now or later. */
  enqueue(item: OrchestratorItem, visibleAt = this.nowMs): void {
    this.queue.push({ item, visibleAt });
  }

  /** Raises an external event. */
  raise(instance: string, name: string, data?: unknown): void {
    this.enqueue({ kind: 'ExternalRaised', instance, name, data: JSON.stringify(data ?? null) });
  }

  /** The state of an instance (throws when unknown). */
  state(instance: string): InstanceState {
    const s = this.instances.get(instance);
    if (s === undefined) throw new Error(`unknown instance ${instance}`);
    return s;
  }

  /** Current execution's history. */
  history(instance: string): Event[] {
    const s = this.instances.get(instance);
    return s?.executions[s.executions.length - 1] ?? [];
  }

  /** Builds the fetched item for an instance with the given messages. */
  item(instance: string, messages: OrchestratorItem[]): OrchestrationItem {
    const s = this.instances.get(instance);
    const history = s?.executions[s.executions.length - 1] ?? [];
    const started = history[0];
    return {
      instance,
      orchestrationName: started?.kind === 'OrchestrationStarted' ? started.name : '',
      executionId: s === undefined || s.executions.length === 0 ? 1 : s.executions.length,
      version: started?.kind === 'OrchestrationStarted' ? started.version : 'unknown',
      history: history.slice(),
      messages,
      historyError: null,
      kvSnapshot: Object.fromEntries(s?.kvStore ?? []),
    };
  }

  /** Runs one turn with every visible message of the instance. */
  async turn(instance: string): Promise<TurnOutcome | null> {
    const visible = this.queue.filter(
      (q) => q.visibleAt <= this.nowMs && workItemInstance(q.item) === instance,
    );
    if (visible.length === 0) return null;
    this.queue = this.queue.filter((q) => !visible.includes(q));
    return this.runTurn(
      instance,
      visible.map((v) => v.item),
    );
  }

  /** Runs one turn with explicit messages (they are not taken from the queue). */
  async runTurn(instance: string, messages: OrchestratorItem[]): Promise<TurnOutcome | null> {
    this.turns++;
    const prepared = prepareTurn(this.item(instance, messages));
    if (prepared.type === 'ackOnly') return null;
    const handler = this.orchestrations[prepared.orchestrationName];
    if (handler === undefined) throw new Error(`no orchestration ${prepared.orchestrationName}`);
    const outcome = await executeTurn(prepared, {
      handler,
      version: prepared.requestedVersion ?? '1.0.0',
      nowMs: this.nowMs,
      duroxideVersion: '0.1.0',
      trace: (level, message) => this.traces.push(`${instance} ${level} ${message}`),
    });
    this.apply(instance, outcome);
    this.outcomes.push({ instance, outcome });
    return outcome;
  }

  private apply(instance: string, outcome: TurnOutcome): void {
    const { ack } = outcome;
    let s = this.instances.get(instance);
    if (s === undefined) {
      s = {
        executions: [],
        kvStore: new Map(),
        kvDelta: new Map(),
        kvClearAll: false,
        customStatus: null,
        customStatusVersion: 0,
      };
      this.instances.set(instance, s);
    }
    while (s.executions.length < ack.executionId) s.executions.push([]);
    s.executions[ack.executionId - 1]!.push(...ack.historyDelta);
    let statusChanged = false;
    for (const e of ack.historyDelta) {
      if (e.kind === 'CustomStatusUpdated') {
        s.customStatus = e.status;
        statusChanged = true;
      } else if (e.kind === 'KeyValueSet')
        s.kvDelta.set(e.key, { value: e.value, lastUpdatedAtMs: e.lastUpdatedAtMs });
      else if (e.kind === 'KeyValueCleared') s.kvDelta.set(e.key, null);
      else if (e.kind === 'KeyValuesCleared') {
        s.kvDelta.clear();
        s.kvClearAll = true;
      }
    }
    if (statusChanged) s.customStatusVersion++;
    if (ack.metadata.status !== undefined) {
      if (s.kvClearAll) s.kvStore.clear();
      for (const [k, v] of s.kvDelta) {
        if (v === null) s.kvStore.delete(k);
        else s.kvStore.set(k, v);
      }
      s.kvDelta.clear();
      s.kvClearAll = false;
    }
    const gone = new Set(
      ack.cancelledActivities.map((c) => `${c.instance}/${c.executionId}/${c.activityId}`),
    );
    this.worker.push(...ack.workerItems);
    this.worker = this.worker.filter((w) => !gone.has(`${w.instance}/${w.executionId}/${w.id}`));
    for (const item of ack.orchestratorItems) {
      this.enqueue(item, item.kind === 'TimerFired' ? item.fireAtMs : this.nowMs);
    }
  }

  /** Runs one queued activity through the activity table. */
  runActivity(work: ActivityExecuteItem): void {
    const impl = this.activities[work.name];
    let completion: OrchestratorItem;
    try {
      if (impl === undefined) throw new Error(`no activity ${work.name}`);
      const value = impl(JSON.parse(work.input));
      completion = {
        kind: 'ActivityCompleted',
        instance: work.instance,
        executionId: work.executionId,
        id: work.id,
        result: JSON.stringify(value ?? null),
      };
    } catch (error) {
      completion = {
        kind: 'ActivityFailed',
        instance: work.instance,
        executionId: work.executionId,
        id: work.id,
        details: activityFailure((error as Error).message),
      };
    }
    this.enqueue(completion);
  }

  /** Processes everything: turns, activities (in queue order), then timers by advancing the clock. */
  async runToIdle(maxSteps = 10_000): Promise<void> {
    for (let step = 0; step < maxSteps; step++) {
      const ready = this.queue.find((q) => q.visibleAt <= this.nowMs);
      if (ready !== undefined) {
        await this.turn(workItemInstance(ready.item));
        continue;
      }
      const work = this.worker.shift();
      if (work !== undefined) {
        this.runActivity(work);
        continue;
      }
      if (this.queue.length === 0) return;
      this.nowMs = Math.min(...this.queue.map((q) => q.visibleAt));
    }
    throw new Error('simulation did not become idle');
  }

  /** The terminal event of the instance's current execution, if any. */
  terminal(instance: string): Event | undefined {
    return this.history(instance).find(
      (e) => e.kind === 'OrchestrationCompleted' || e.kind === 'OrchestrationFailed',
    );
  }

  /** The decoded output of a completed instance (throws otherwise). */
  output(instance: string): unknown {
    const t = this.terminal(instance);
    if (t?.kind !== 'OrchestrationCompleted') {
      throw new Error(
        `instance ${instance} did not complete: ${JSON.stringify(t ?? this.history(instance).at(-1))}`,
      );
    }
    return JSON.parse(t.output);
  }
}

/** Runs one orchestration to idle and returns the simulator. */
export async function runOrchestration(
  name: string,
  input: unknown,
  orchestrations: Record<string, OrchestrationHandler>,
  activities: Record<string, SimActivity> = {},
  instance = 'i1',
): Promise<Sim> {
  const sim = new Sim(orchestrations, activities);
  sim.start(instance, name, input);
  await sim.runToIdle();
  return sim;
}
