import type { ConformanceGroup } from '../describe-conformance.js';
import { atomicityGroup } from './atomicity.js';
import { bulkDeletionGroup } from './bulk-deletion.js';
import { cancellationGroup } from './cancellation.js';
import { capabilityFilteringGroup } from './capability-filtering.js';
import { customStatusGroup } from './custom-status.js';
import { deletionGroup } from './deletion.js';
import { errorHandlingGroup } from './error-handling.js';
import { instanceCreationGroup } from './instance-creation.js';
import { instanceLockingGroup } from './instance-locking.js';
import { kvStoreGroup } from './kv-store.js';
import { lockExpirationGroup } from './lock-expiration.js';
import { longPollingGroup } from './long-polling.js';
import { managementGroup } from './management.js';
import { multiExecutionGroup } from './multi-execution.js';
import { poisonMessageGroup } from './poison-message.js';
import { pruneGroup } from './prune.js';
import { queueSemanticsGroup } from './queue-semantics.js';
import { sessionsGroup } from './sessions.js';
import { tagFilteringGroup } from './tag-filtering.js';

/** Every group, in duroxide's order, with its test-file name. */
export const ALL_GROUPS: [name: string, register: ConformanceGroup][] = [
  ['atomicity', atomicityGroup],
  ['bulk_deletion', bulkDeletionGroup],
  ['cancellation', cancellationGroup],
  ['capability_filtering', capabilityFilteringGroup],
  ['custom_status', customStatusGroup],
  ['deletion', deletionGroup],
  ['error_handling', errorHandlingGroup],
  ['instance_creation', instanceCreationGroup],
  ['instance_locking', instanceLockingGroup],
  ['kv_store', kvStoreGroup],
  ['lock_expiration', lockExpirationGroup],
  ['long_polling', longPollingGroup],
  ['management', managementGroup],
  ['multi_execution', multiExecutionGroup],
  ['poison_message', poisonMessageGroup],
  ['prune', pruneGroup],
  ['queue_semantics', queueSemanticsGroup],
  ['sessions', sessionsGroup],
  ['tag_filtering', tagFilteringGroup],
];
