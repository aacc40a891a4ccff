import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `error_handling` (reference provider-contract §3.2). */
export const errorHandlingGroup: ConformanceGroup = (_options) => {};
