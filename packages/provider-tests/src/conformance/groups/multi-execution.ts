import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `multi_execution` (reference provider-contract §3.2). */
export const multiExecutionGroup: ConformanceGroup = (_options) => {};
