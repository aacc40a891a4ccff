import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `cancellation` (reference provider-contract §3.2). */
export const cancellationGroup: ConformanceGroup = (_options) => {};
