import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `management` (reference provider-contract §3.2). */
export const managementGroup: ConformanceGroup = (_options) => {};
