import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `lock_expiration` (reference provider-contract §3.2). */
export const lockExpirationGroup: ConformanceGroup = (_options) => {};
