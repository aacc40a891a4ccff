import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `instance_locking` (reference provider-contract §3.2). */
export const instanceLockingGroup: ConformanceGroup = (_options) => {};
