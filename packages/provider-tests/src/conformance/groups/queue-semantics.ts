import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `queue_semantics` (reference provider-contract §3.2). */
export const queueSemanticsGroup: ConformanceGroup = (_options) => {};
