import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `instance_creation` (reference provider-contract §3.2). */
export const instanceCreationGroup: ConformanceGroup = (_options) => {};
