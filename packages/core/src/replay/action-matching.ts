import type { Event } from '../history/events.js';
import { type Action, describeAction } from './actions.js';

/** Which schedule a history event opens, keyed like the engine's open-schedule table. */
export type ScheduleKind = 'activity' | 'timer' | 'wait' | 'dequeue' | 'subOrchestration' | 'detached';

/** The schedule kind of an event, or null when the event does not schedule anything. */
export function scheduleKindOf(event: Event): ScheduleKind | null {
  switch (event.kind) {
    case 'ActivityScheduled':
      return 'activity';
    case 'TimerCreated':
      return 'timer';
    case 'ExternalSubscribed':
      return 'wait';
    case 'QueueSubscribed':
      return 'dequeue';
    case 'SubOrchestrationScheduled':
      return 'subOrchestration';
    case 'OrchestrationChained':
      return 'detached';
    default:
      return null;
  }
}

/** A short description of a recorded event for nondeterminism messages. */
export function describeEvent(event: Event): string {
  const q = (s: string) => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);
  switch (event.kind) {
    case 'ActivityScheduled':
      return `ActivityScheduled{name:${q(event.name)}, input:${q(event.input)}${event.sessionId !== undefined ? `, sessionId:${q(event.sessionId)}` : ''}${event.tag !== undefined ? `, tag:${q(event.tag)}` : ''}}`;
    case 'TimerCreated':
      return `TimerCreated{fireAtMs:${event.fireAtMs}}`;
    case 'ExternalSubscribed':
    case 'QueueSubscribed':
      return `${event.kind}{name:${q(event.name)}}`;
    case 'SubOrchestrationScheduled':
      return `SubOrchestrationScheduled{name:${q(event.name)}, input:${q(event.input)}}`;
    case 'OrchestrationChained':
      return `OrchestrationChained{name:${q(event.name)}, instance:${q(event.instance)}, input:${q(event.input)}}`;
    case 'KeyValueSet':
      return `KeyValueSet{key:${q(event.key)}, value:${q(event.value)}}`;
    case 'KeyValueCleared':
      return `KeyValueCleared{key:${q(event.key)}}`;
    default:
      return event.kind;
  }
}

/**
 * Compares an action with the history event at its position (duroxide §4.4: activity name, input,
 * session, tag; wait/dequeue name; sub-orchestration name and input; detached name, instance, input;
 * KV key and value; custom status and timers by kind only). Returns null on a match.
 */
export function actionMismatch(action: Action, event: Event): string | null {
  const same = actionMatches(action, event);
  if (same) return null;
  const label = statusOrKv(event) ?? 'schedule mismatch';
  return `${label} at event ${event.eventId}: history recorded ${describeEvent(event)} but the code now did ${describeAction(action)}`;
}

function statusOrKv(event: Event): string | null {
  switch (event.kind) {
    case 'CustomStatusUpdated':
      return 'custom status mismatch';
    case 'KeyValueSet':
      return 'kv set mismatch';
    case 'KeyValueCleared':
      return 'kv clear mismatch';
    case 'KeyValuesCleared':
      return 'kv clear_all mismatch';
    default:
      return null;
  }
}

function actionMatches(action: Action, event: Event): boolean {
  switch (event.kind) {
    case 'ActivityScheduled':
      return (
        action.type === 'activity' &&
        action.name === event.name &&
        action.input === event.input &&
        action.sessionId === event.sessionId &&
        action.tag === event.tag
      );
    case 'TimerCreated':
      return action.type === 'timer';
    case 'ExternalSubscribed':
      return action.type === 'wait' && action.name === event.name;
    case 'QueueSubscribed':
      return action.type === 'dequeue' && action.name === event.name;
    case 'SubOrchestrationScheduled':
      return action.type === 'subOrchestration' && action.name === event.name && action.input === event.input;
    case 'OrchestrationChained':
      return (
        action.type === 'detached' &&
        action.name === event.name &&
        action.instance === event.instance &&
        action.input === event.input
      );
    case 'CustomStatusUpdated':
      return action.type === 'customStatus';
    case 'KeyValueSet':
      return action.type === 'kvSet' && action.key === event.key && action.value === event.value;
    case 'KeyValueCleared':
      return action.type === 'kvClear' && action.key === event.key;
    case 'KeyValuesCleared':
      return action.type === 'kvClearAll';
    default:
      return false;
  }
}
