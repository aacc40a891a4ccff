import type { Event } from '../history/events.js';
import type { Action } from './actions.js';
import type { EventFactory } from './event-factory.js';

/**
 * A sub-orchestration's automatic instance id: duroxide's `<parent>::sub::<eventId>` in the first execution,
 * `<parent>::sub::<executionId>-<eventId>` after continue-as-new (QUIRK fixed: event ids restart at 1 in every
 * execution, so duroxide's ids repeat and a later execution's child start is swallowed by the finished child).
 */
export function autoChildInstanceId(parent: string, executionId: number, eventId: number): string {
  return executionId <= 1 ? `${parent}::sub::${eventId}` : `${parent}::sub::${executionId}-${eventId}`;
}

/** The history event a new action records (duroxide §2.4). */
export function actionToEvent(action: Action, eventId: number, f: EventFactory, instance: string): Event {
  switch (action.type) {
    case 'activity': {
      const kind: Extract<Event, { kind: 'ActivityScheduled' }> = f.make(eventId, {
        kind: 'ActivityScheduled',
        name: action.name,
        input: action.input,
      }) as Extract<Event, { kind: 'ActivityScheduled' }>;
      if (action.sessionId !== undefined) kind.sessionId = action.sessionId;
      if (action.tag !== undefined) kind.tag = action.tag;
      return kind;
    }
    case 'timer':
      return f.make(eventId, { kind: 'TimerCreated', fireAtMs: f.nowMs + action.delayMs });
    case 'wait':
      return f.make(eventId, { kind: 'ExternalSubscribed', name: action.name });
    case 'dequeue':
      return f.make(eventId, { kind: 'QueueSubscribed', name: action.name });
    case 'subOrchestration':
      return f.make(eventId, {
        kind: 'SubOrchestrationScheduled',
        name: action.name,
        instance: action.instance ?? autoChildInstanceId(instance, f.executionId, eventId),
        input: action.input,
        ...(action.version !== undefined ? { version: action.version } : {}),
      });
    case 'detached':
      return f.make(eventId, {
        kind: 'OrchestrationChained',
        name: action.name,
        instance: action.instance,
        input: action.input,
        ...(action.version !== undefined ? { version: action.version } : {}),
      });
    case 'customStatus':
      return f.make(eventId, { kind: 'CustomStatusUpdated', status: action.status });
    case 'kvSet':
      return f.make(eventId, {
        kind: 'KeyValueSet',
        key: action.key,
        value: action.value,
        lastUpdatedAtMs: action.atMs,
      });
    case 'kvClear':
      return f.make(eventId, { kind: 'KeyValueCleared', key: action.key });
    case 'kvClearAll':
      return f.make(eventId, { kind: 'KeyValuesCleared' });
    case 'continueAsNew':
      throw new Error('continue-as-new records no event');
  }
}
