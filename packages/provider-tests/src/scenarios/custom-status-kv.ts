import { customStatusScenarios } from './custom-status-71.js';
import { scenarioIt } from './harness.js';
import { kvScenarios } from './kv-72.js';
import type { ResolvedScenarioOptions } from './options.js';

/**
 * Checklist 71 (custom status, custom-status-71.ts) and 72 (instance KV store, kv-72.ts), with API.md's
 * limits, registered as one scenario group.
 */
export function customStatusKvScenarios(options: ResolvedScenarioOptions): void {
  const test = scenarioIt(options);
  customStatusScenarios(test);
  kvScenarios(test);
}
