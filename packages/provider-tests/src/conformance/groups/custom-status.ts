import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `custom_status` (reference provider-contract §3.2). */
export const customStatusGroup: ConformanceGroup = (_options) => {};
