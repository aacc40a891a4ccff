export {
  activityItem,
  createInstance,
  emptyAck,
  event,
  fetchInstance,
  startedEvent,
  startItem,
} from './conformance/builders.js';
export { type ConformanceGroup, describeProviderConformance } from './conformance/describe-conformance.js';
export { ALL_GROUPS } from './conformance/groups/index.js';
export { resolveOptions, uniqueId, withProvider } from './conformance/harness.js';
export { fetchOrch, mustFetchOrch } from './conformance/helpers-b.js';
export type {
  ProviderConformanceOptions,
  ProviderTestContext,
  ProviderUnderTest,
  ResolvedConformanceOptions,
} from './conformance/options.js';
export {
  type CrashHistoryEvent,
  expectWellFormedHistory,
  pause,
  type RuntimeProcess,
  randomBetween,
  scheduledSteps,
  spawnRuntimeProcess,
} from './crash/crash-kit.js';
export {
  describeRuntimeScenarios,
  SCENARIO_GROUPS,
  type ScenarioGroup,
} from './scenarios/describe-scenarios.js';
export {
  abortedOrAfter,
  Counter,
  type Gate,
  gate,
  type HistoryEvent,
  Scenario,
  type ScenarioIt,
  scenarioIt,
  uniqueInstanceId,
  waitUntil,
} from './scenarios/harness.js';
export {
  FAST_RUNTIME_OPTIONS,
  type ResolvedScenarioOptions,
  type RuntimeScenarioOptions,
  resolveScenarioOptions,
} from './scenarios/options.js';
