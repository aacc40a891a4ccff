import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `kv_store` (reference provider-contract §3.2). */
export const kvStoreGroup: ConformanceGroup = (_options) => {};
