import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `capability_filtering` (reference provider-contract §3.2). */
export const capabilityFilteringGroup: ConformanceGroup = (_options) => {};
