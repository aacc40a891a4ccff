import { ConfigurationError } from '../errors.js';
import type { Action } from './actions.js';
import type { ActivityTask } from './context-api.js';
import { DurableTaskImpl } from './durable-task.js';
import type { TurnScope } from './turn-scope.js';

/** A scheduled activity; `withTag` edits the recorded action until the engine has consumed it. */
export class ActivityTaskImpl<T = unknown> extends DurableTaskImpl<T> implements ActivityTask<T> {
  /** The recorded `activity` action (mutated by `withTag`). */
  action: Extract<Action, { type: 'activity' }> | null = null;

  constructor(scope: TurnScope) {
    super(scope, 'activity');
  }

  /** Routes the activity to workers accepting `tag`; must be called right after scheduling. */
  withTag(tag: string): ActivityTask<T> {
    if (typeof tag !== 'string' || tag.length === 0) {
      throw new ConfigurationError(`withTag needs a non-empty string tag, got ${String(tag)}`);
    }
    if (this.action === null || this.eventId !== 0) {
      throw new ConfigurationError(
        'withTag must be called right after scheduleActivity, before awaiting anything',
      );
    }
    this.action.tag = tag;
    return this;
  }
}
