import type { ConformanceGroup } from '../describe-conformance.js';

/** duroxide validation group `bulk_deletion` (reference provider-contract §3.2). */
export const bulkDeletionGroup: ConformanceGroup = (_options) => {};
