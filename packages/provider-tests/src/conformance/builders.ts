import type {
  ActivityExecuteItem,
  Event,
  EventKind,
  OrchestrationAck,
  Provider,
  StartOrchestrationItem,
} from '@duroxide/core';

/** A `StartOrchestration` for `TestOrch` v1.0.0, execution 1 (duroxide's `start_item`). */
export function startItem(
  instance: string,
  overrides: Partial<StartOrchestrationItem> = {},
): StartOrchestrationItem {
  return {
    kind: 'StartOrchestration',
    instance,
    orchestration: 'TestOrch',
    input: '{}',
    version: '1.0.0',
    executionId: 1,
    ...overrides,
  };
}

/** Builds an event with a filled envelope. */
export function event(
  instance: string,
  executionId: number,
  eventId: number,
  kind: EventKind,
  sourceEventId: number | null = null,
): Event {
  return {
    eventId,
    sourceEventId,
    instanceId: instance,
    executionId,
    timestampMs: Date.now(),
    duroxideVersion: '0.1.0',
    ...kind,
  } as Event;
}

/** An `OrchestrationStarted` event for `TestOrch`. */
export function startedEvent(
  instance: string,
  executionId = 1,
  eventId = 1,
  name = 'TestOrch',
  version = '1.0.0',
): Event {
  return event(instance, executionId, eventId, { kind: 'OrchestrationStarted', name, version, input: '{}' });
}

/** An `ActivityExecute` work item. */
export function activityItem(
  instance: string,
  id: number,
  overrides: Partial<ActivityExecuteItem> = {},
): ActivityExecuteItem {
  return {
    kind: 'ActivityExecute',
    instance,
    executionId: 1,
    id,
    name: 'TestActivity',
    input: '{}',
    ...overrides,
  };
}

/** An ack with nothing in it but what `overrides` adds. */
export function emptyAck(executionId = 1, overrides: Partial<OrchestrationAck> = {}): OrchestrationAck {
  return {
    executionId,
    historyDelta: [],
    workerItems: [],
    orchestratorItems: [],
    metadata: {},
    cancelledActivities: [],
    ...overrides,
  };
}

/** duroxide's `create_instance`: enqueue a start, fetch it, ack `OrchestrationStarted` with name/version metadata (status stays Running). */
export async function createInstance(
  provider: Provider,
  instance: string,
  lockTimeoutMs: number,
  name = 'TestOrch',
  version = '1.0.0',
): Promise<void> {
  await provider.enqueueForOrchestrator(startItem(instance, { orchestration: name, version }));
  const fetched = await fetchInstance(provider, instance, lockTimeoutMs);
  await provider.ackOrchestrationItem(
    fetched.lockToken,
    emptyAck(1, {
      historyDelta: [startedEvent(instance, 1, 1, name, version)],
      metadata: { orchestrationName: name, orchestrationVersion: version },
    }),
  );
}

/** Fetches until the batch for `instance` comes back (other instances' batches are abandoned); fails after a few tries. */
export async function fetchInstance(provider: Provider, instance: string, lockTimeoutMs: number) {
  const abandoned: string[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      const fetched = await provider.fetchOrchestrationItem(lockTimeoutMs, 0);
      if (!fetched) break;
      if (fetched.item.instance === instance) return fetched;
      abandoned.push(fetched.lockToken);
    }
  } finally {
    for (const token of abandoned) await provider.abandonOrchestrationItem(token);
  }
  throw new Error(`no orchestration item for instance '${instance}'`);
}
