import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `sessions` (reference provider-contract §3.2). */
export const sessionsGroup: ConformanceGroup = (_options) => {};
