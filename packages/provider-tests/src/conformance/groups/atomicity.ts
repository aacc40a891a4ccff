import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `atomicity` (reference provider-contract §3.2). */
export const atomicityGroup: ConformanceGroup = (_options) => {};
