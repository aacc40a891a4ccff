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
export type {
  ProviderConformanceOptions,
  ProviderTestContext,
  ProviderUnderTest,
  ResolvedConformanceOptions,
} from './conformance/options.js';
