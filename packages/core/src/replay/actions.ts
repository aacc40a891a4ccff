import type { DurableTaskImpl } from './durable-task.js';

/** A command recorded by orchestration code at call time, in emission order (duroxide's `Action`). */
export type Action =
  | {
      type: 'activity';
      name: string;
      input: string;
      sessionId?: string;
      tag?: string;
      task: DurableTaskImpl;
    }
  | { type: 'timer'; delayMs: number; task: DurableTaskImpl }
  | { type: 'wait'; name: string; task: DurableTaskImpl }
  | { type: 'dequeue'; name: string; task: DurableTaskImpl }
  | {
      type: 'subOrchestration';
      name: string;
      input: string;
      version?: string;
      /** Explicit child id, or undefined for `<parent>::sub::<eventId>`. */
      instance?: string;
      task: DurableTaskImpl;
    }
  | {
      type: 'detached';
      name: string;
      instance: string;
      input: string;
      version?: string;
      task: DurableTaskImpl;
    }
  | { type: 'continueAsNew'; input: string; version?: string }
  | { type: 'customStatus'; status: string | null }
  | { type: 'kvSet'; key: string; value: string; atMs: number }
  | { type: 'kvClear'; key: string }
  | { type: 'kvClearAll' };

/** A short, stable description of an action for nondeterminism messages. */
export function describeAction(action: Action): string {
  switch (action.type) {
    case 'activity':
      return `ActivityScheduled{name:${q(action.name)}, input:${q(action.input)}${opt('sessionId', action.sessionId)}${opt('tag', action.tag)}}`;
    case 'timer':
      return `TimerCreated{delayMs:${action.delayMs}}`;
    case 'wait':
      return `ExternalSubscribed{name:${q(action.name)}}`;
    case 'dequeue':
      return `QueueSubscribed{name:${q(action.name)}}`;
    case 'subOrchestration':
      return `SubOrchestrationScheduled{name:${q(action.name)}, input:${q(action.input)}}`;
    case 'detached':
      return `OrchestrationChained{name:${q(action.name)}, instance:${q(action.instance)}, input:${q(action.input)}}`;
    case 'continueAsNew':
      return `ContinueAsNew{input:${q(action.input)}}`;
    case 'customStatus':
      return 'CustomStatusUpdated';
    case 'kvSet':
      return `KeyValueSet{key:${q(action.key)}, value:${q(action.value)}}`;
    case 'kvClear':
      return `KeyValueCleared{key:${q(action.key)}}`;
    case 'kvClearAll':
      return 'KeyValuesCleared';
  }
}

function q(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

function opt(label: string, value: string | undefined): string {
  return value === undefined ? '' : `, ${label}:${q(value)}`;
}

/** The task an action settles, if it has one. */
export function actionTask(action: Action): DurableTaskImpl | null {
  return 'task' in action ? action.task : null;
}
