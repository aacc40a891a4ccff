export {
  corruptRecord,
  decodeEvent,
  decodeWorkItem,
  encodeEvent,
  encodeWorkItem,
  isErrorDetails,
  validateEvent,
  validateWorkItem,
} from './codec.js';
export type { AppErrorKind, ErrorCategory, ErrorDetails, PoisonMessageType } from './error-details.js';
export {
  activityFailure,
  cancelledFailure,
  displayMessage,
  infrastructureFailure,
  isRetryable,
  nondeterminismFailure,
  orchestrationFailure,
  panickedFailure,
} from './error-details.js';
export type { Event, EventEnvelope, EventKind, EventKindName, EventOf } from './events.js';
export { EVENT_KINDS, isTerminalEvent } from './events.js';
export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  INITIAL_EVENT_ID,
  INITIAL_EXECUTION_ID,
  MAX_CARRY_FORWARD_EVENTS,
  MAX_CUSTOM_STATUS_BYTES,
  MAX_KV_KEYS,
  MAX_KV_VALUE_BYTES,
  MAX_TAG_NAME_BYTES,
  MAX_WORKER_TAGS,
} from './limits.js';
export { decodePayload, encodePayload } from './payload.js';
export type { DispatcherCapabilityFilter, Semver, SemverRange } from './semver.js';
export {
  compareSemver,
  formatSemver,
  packSemver,
  parseSemver,
  semverRangeContains,
  tryParseSemver,
} from './semver.js';
export type { TagFilter } from './tag-filter.js';
export { tagFilterMatches, validateTag, validateTagFilter } from './tag-filter.js';
export type {
  ActivityCompletedItem,
  ActivityExecuteItem,
  ActivityFailedItem,
  CancelInstanceItem,
  ContinueAsNewItem,
  ExternalRaisedItem,
  OrchestratorItem,
  QueueMessageItem,
  StartOrchestrationItem,
  SubOrchCompletedItem,
  SubOrchFailedItem,
  TimerFiredItem,
  WorkItem,
  WorkItemKindName,
} from './work-items.js';
export { WORK_ITEM_KINDS, workItemInstance } from './work-items.js';
