import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `prune` (reference provider-contract §3.2). */
export const pruneGroup: ConformanceGroup = (_options) => {};
