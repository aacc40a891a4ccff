export { Client, DEFAULT_STATUS_POLL_MS, DEFAULT_WAIT_TIMEOUT_MS } from './client.js';
export type { ExecutionInfoView, InstanceInfoView } from './management.js';
export { ManagementClient } from './management.js';
export type {
  CompletedStatus,
  FailedStatus,
  NotFoundStatus,
  OrchestrationStatus,
  RunningStatus,
  TerminalStatus,
} from './status.js';
export { isTerminalStatus } from './status.js';
