import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `poison_message` (reference provider-contract §3.2). */
export const poisonMessageGroup: ConformanceGroup = (_options) => {};
