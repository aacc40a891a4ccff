import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `long_polling` (reference provider-contract §3.2). */
export const longPollingGroup: ConformanceGroup = (_options) => {};
