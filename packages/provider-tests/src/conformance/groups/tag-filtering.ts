import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `tag_filtering` (reference provider-contract §3.2). */
export const tagFilteringGroup: ConformanceGroup = (_options) => {};
