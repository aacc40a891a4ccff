import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `deletion` (reference provider-contract §3.2). */
export const deletionGroup: ConformanceGroup = (_options) => {};
