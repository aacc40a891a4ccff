import { describe } from 'vitest';
import { basicsScenarios } from './basics.js';
import { cancellationScenarios } from './cancellation.js';
import { capabilityFilteringScenarios } from './capability-filtering.js';
import { compositionScenarios } from './composition.js';
import { continueAsNewScenarios } from './continue-as-new.js';
import { customStatusKvScenarios } from './custom-status-kv.js';
import { determinismScenarios } from './determinism.js';
import { errorPoisonScenarios } from './errors-poison.js';
import { kvStatusScenarios } from './kv-status.js';
import { managementScenarios } from './management.js';
import { observabilityScenarios } from './observability.js';
import {
  type ResolvedScenarioOptions,
  type RuntimeScenarioOptions,
  resolveScenarioOptions,
} from './options.js';
import { propertyScenarios } from './properties.js';
import { queueScenarios } from './queues.js';
import { retryScenarios } from './retry.js';
import { sessionScenarios } from './sessions.js';
import { singleThreadedScenarios } from './single-threaded.js';
import { systemCallScenarios } from './system-calls.js';
import { tagScenarios } from './tags.js';
import { timerEventScenarios } from './timers-events.js';
import { versioningScenarios } from './versioning.js';

/** One scenario group: registers its tests inside the group's `describe`. */
export type ScenarioGroup = (options: ResolvedScenarioOptions) => void;

/** Every scenario group by theme, in checklist order. */
export const SCENARIO_GROUPS: readonly (readonly [string, ScenarioGroup])[] = [
  ['basics', basicsScenarios],
  ['composition', compositionScenarios],
  ['versioning', versioningScenarios],
  ['continue-as-new', continueAsNewScenarios],
  ['cancellation', cancellationScenarios],
  ['errors and poison', errorPoisonScenarios],
  ['tags', tagScenarios],
  ['kv and status', kvStatusScenarios],
  ['custom status and kv', customStatusKvScenarios],
  ['timers and events', timerEventScenarios],
  ['queues', queueScenarios],
  ['determinism', determinismScenarios],
  ['properties', propertyScenarios],
  ['retry', retryScenarios],
  ['system calls', systemCallScenarios],
  ['sessions', sessionScenarios],
  ['capability filtering', capabilityFilteringScenarios],
  ['management', managementScenarios],
  ['observability', observabilityScenarios],
  ['single-threaded runtime', singleThreadedScenarios],
];

/** Registers the runtime scenario suite (real orchestrations through Runtime + Client) for a provider. */
export function describeRuntimeScenarios(name: string, options: RuntimeScenarioOptions): void {
  const resolved = resolveScenarioOptions(options);
  describe(`runtime scenarios: ${name}`, () => {
    for (const [group, register] of SCENARIO_GROUPS) {
      describe(group, () => register(resolved));
    }
  });
}
