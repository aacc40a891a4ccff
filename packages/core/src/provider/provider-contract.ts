/**
 * The storage contract every provider implements: duroxide's Provider trait, method for method.
 * Providers store; they never interpret orchestration semantics. Every timestamp they compare comes
 * from their injected `Clock`. A fetch that returns an item holds a lock the caller must ack or
 * abandon; a fetch that throws holds none. Errors are `ProviderError` with `retryable` set.
 *
 * Time: lock expiry, visibility and session leases compare against the injected clock (`options.clock`).
 * Poll timeouts (`pollTimeoutMs`, `waitForInstanceChange`) are real elapsed time; when the clock is a
 * `ManualClock`, moving it wakes waiting fetches so they re-check visibility.
 */
import type { Event } from '../history/events.js';
import type { DispatcherCapabilityFilter } from '../history/semver.js';
import type { TagFilter } from '../history/tag-filter.js';
import type {
  ActivityCompletedItem,
  ActivityExecuteItem,
  ActivityFailedItem,
  OrchestratorItem,
} from '../history/work-items.js';

/** A KV value with the time it was last written. */
export interface KvEntry {
  value: string;
  lastUpdatedAtMs: number;
}

/** Everything one orchestration turn needs: the instance's visible messages and its current history. */
export interface OrchestrationItem {
  instance: string;
  orchestrationName: string;
  /** The current execution id (the runtime picks +1 itself when a ContinueAsNew message is present). */
  executionId: number;
  /** The instance's recorded version, or `"unknown"` before the first ack. */
  version: string;
  /** Events of the current execution ordered by event id; empty for a new instance or when `historyError` is set. */
  history: Event[];
  /** Every message visible at fetch time, in queue order. */
  messages: OrchestratorItem[];
  /** Set, with an empty history, when stored history could not be read. */
  historyError: string | null;
  /** KV state merged from completed executions only (never the current execution's writes). */
  kvSnapshot: Record<string, KvEntry>;
}

/** A locked orchestration batch. */
export interface FetchedOrchestrationItem {
  item: OrchestrationItem;
  lockToken: string;
  /** The highest fetch count among the batch's messages (1 on first delivery). */
  attemptCount: number;
}

/** Execution status strings as stored. */
export type ExecutionStatus = 'Running' | 'Completed' | 'Failed' | 'ContinuedAsNew';

/** Execution metadata computed by the runtime from a turn; the provider stores it blindly. */
export interface ExecutionMetadata {
  status?: 'Completed' | 'Failed' | 'ContinuedAsNew';
  output?: string;
  orchestrationName?: string;
  orchestrationVersion?: string;
  parentInstanceId?: string;
  /** The runtime version that started this execution; sent only on its first turn. */
  pinnedDuroxideVersion?: string;
}

/** Identifies one scheduled activity (the unit of activity cancellation). */
export interface ScheduledActivityIdentifier {
  instance: string;
  executionId: number;
  activityId: number;
}

/** The outcome of one orchestration turn, committed atomically by `ackOrchestrationItem`. */
export interface OrchestrationAck {
  /** The execution the delta belongs to (current, or current + 1 after continue-as-new). */
  executionId: number;
  /** New events, appended verbatim. */
  historyDelta: Event[];
  /** Activities to enqueue, visible now. */
  workerItems: ActivityExecuteItem[];
  /** Messages for any instance; `TimerFired` becomes visible at `fireAtMs`. */
  orchestratorItems: OrchestratorItem[];
  metadata: ExecutionMetadata;
  /** Worker-queue rows to delete (after `workerItems` are inserted). */
  cancelledActivities: ScheduledActivityIdentifier[];
}

/** Session routing for a worker fetch. */
export interface SessionFetchConfig {
  /** The owner identity (a worker slot id, or the runtime's `workerNodeId`). */
  ownerId: string;
  /** How long a claimed session stays owned without a heartbeat. */
  lockTimeoutMs: number;
}

/** A locked activity. */
export interface FetchedWorkItem {
  item: ActivityExecuteItem;
  lockToken: string;
  /** How many times this row has been fetched, including this time. */
  attemptCount: number;
}

/** Options of the two fetch methods. */
export interface FetchOptions {
  /**
   * Aborting ends a waiting fetch at once with null (shutdown uses it so no fetch outlives the runtime); a
   * fetch that already locked work before it saw the abort still returns that work.
   */
  signal?: AbortSignal;
}

/** Options for releasing a lock without committing. */
export interface AbandonOptions {
  /** Keep the released messages invisible for this long. */
  delayMs?: number;
  /** Undo this fetch's attempt increment (never below zero). */
  ignoreAttempt?: boolean;
}

/** A custom status reading. */
export interface CustomStatusReading {
  customStatus: string | null;
  version: number;
}

/** Size figures for one instance's current execution. */
export interface InstanceStats {
  historyEventCount: number;
  historySizeBytes: number;
  queuePendingCount: number;
  kvUserKeyCount: number;
  kvTotalValueBytes: number;
}

/** What a provider can do beyond the required contract. */
export interface ProviderCapabilities {
  /** Fetches block up to their poll timeout and return as soon as work appears. */
  longPolling: boolean;
}

/** The storage contract. Every method is safe to call concurrently. */
export interface Provider {
  /** Provider name for diagnostics. */
  readonly name: string;
  /** Provider version for diagnostics. */
  readonly version: string;
  /** Optional abilities. */
  readonly capabilities: ProviderCapabilities;

  /**
   * One transaction: locks one instance with visible messages (skipping live locks and, given a filter,
   * executions whose pinned version is outside its first range), tags and counts all its visible messages,
   * and returns them with the current execution's history; null when there is no eligible work.
   */
  fetchOrchestrationItem(
    lockTimeoutMs: number,
    pollTimeoutMs: number,
    filter?: DispatcherCapabilityFilter | null,
    options?: FetchOptions,
  ): Promise<FetchedOrchestrationItem | null>;

  /**
   * One transaction, all or nothing: checks the lock is held and unexpired, appends the delta, upserts
   * instance and execution rows, enqueues items, deletes cancelled activities and the tagged messages,
   * applies custom status and KV, and releases the lock; on failure nothing changes and the lock stays.
   */
  ackOrchestrationItem(lockToken: string, ack: OrchestrationAck): Promise<void>;

  /** One transaction: releases the lock without committing, optionally delaying and un-counting the messages. */
  abandonOrchestrationItem(lockToken: string, options?: AbandonOptions): Promise<void>;

  /** One statement: extends an unexpired instance lock to now + `extendForMs`; fails if expired or unknown. */
  renewOrchestrationItemLock(lockToken: string, extendForMs: number): Promise<void>;

  /** One read: the latest execution's events in event-id order; empty for an unknown instance. */
  read(instance: string): Promise<Event[]>;

  /** One read: one execution's events in event-id order; empty when absent. */
  readWithExecution(instance: string, executionId: number): Promise<Event[]>;

  /** One transaction: appends events verbatim (tests and fault injection); duplicate ids fail as a whole. */
  appendWithExecution(instance: string, executionId: number, events: Event[]): Promise<void>;

  /** One insert: queues an orchestrator message visible after `delayMs`; never creates instances. */
  enqueueForOrchestrator(item: OrchestratorItem, delayMs?: number): Promise<void>;

  /** One insert: queues an activity, visible now. */
  enqueueForWorker(item: ActivityExecuteItem): Promise<void>;

  /**
   * One transaction: locks the oldest visible, unlocked activity that matches the tag filter and session
   * rules (claiming its session for `session.ownerId` when needed); null when none.
   */
  fetchWorkItem(
    lockTimeoutMs: number,
    pollTimeoutMs: number,
    session: SessionFetchConfig | null,
    tagFilter: TagFilter,
    options?: FetchOptions,
  ): Promise<FetchedWorkItem | null>;

  /**
   * One transaction: deletes the locked row (failing permanently if it is gone or the lock expired) and
   * enqueues the completion, if any, for the orchestration.
   */
  ackWorkItem(
    lockToken: string,
    completion: ActivityCompletedItem | ActivityFailedItem | null,
  ): Promise<void>;

  /** One statement: releases an activity lock, optionally delaying and un-counting it; unknown tokens fail. */
  abandonWorkItem(lockToken: string, options?: AbandonOptions): Promise<void>;

  /** One statement: extends an unexpired activity lock; fails when the row is gone (the cancellation signal). */
  renewWorkItemLock(lockToken: string, extendForMs: number): Promise<void>;

  /** One statement: heartbeats live, non-idle sessions owned by these owners; returns how many. */
  renewSessionLock(ownerIds: string[], extendForMs: number, idleTimeoutMs: number): Promise<number>;

  /** One statement: deletes expired sessions with no queued activity; returns how many. */
  cleanupOrphanedSessions(idleTimeoutMs: number): Promise<number>;

  /** One read: the custom status when its version is above `lastSeenVersion`; null otherwise or when unknown. */
  getCustomStatus(instance: string, lastSeenVersion: number): Promise<CustomStatusReading | null>;

  /** One read: a KV value as clients see it (current-execution writes over merged ones); null when absent. */
  getKvValue(instance: string, key: string): Promise<string | null>;

  /** One read: every KV value as clients see it; empty for an unknown instance. */
  getKvAllValues(instance: string): Promise<Record<string, string>>;

  /** One read: size figures for the instance's current execution; null when unknown. */
  getInstanceStats(instance: string): Promise<InstanceStats | null>;

  /**
   * Resolves when a turn ack committed for this instance (what clients read changed) or after `timeoutMs`,
   * whichever comes first; lets waits avoid polling delays. It may also resolve on other commits touching
   * the instance (enqueues, activity completions), but skipping those spares each waiting client a status
   * read per activity. Providers that cannot observe commits resolve after a short interval.
   */
  waitForInstanceChange(instance: string, timeoutMs: number): Promise<void>;

  /** The management capability, or null when the provider has none. */
  asManagementCapability(): ProviderAdmin | null;

  /** Releases connections and wakes any waiting fetches. */
  close(): Promise<void>;
}

/** Instance metadata with the current execution's status. */
export interface InstanceInfo {
  instanceId: string;
  orchestrationName: string;
  orchestrationVersion: string;
  currentExecutionId: number;
  status: ExecutionStatus;
  output: string | null;
  createdAt: number;
  updatedAt: number;
  parentInstanceId: string | null;
}

/** One execution's metadata. */
export interface ExecutionInfo {
  executionId: number;
  status: ExecutionStatus;
  output: string | null;
  startedAt: number;
  completedAt: number | null;
  eventCount: number;
}

/** Store-wide counts (per-instance figures use each instance's current execution). */
export interface SystemMetrics {
  totalInstances: number;
  totalExecutions: number;
  runningInstances: number;
  completedInstances: number;
  failedInstances: number;
  totalEvents: number;
}

/** Unlocked queue rows (timers live in the orchestrator queue, so `timerQueue` is 0). */
export interface QueueDepths {
  orchestratorQueue: number;
  workerQueue: number;
  timerQueue: number;
}

/** A root instance and every descendant. */
export interface InstanceTree {
  rootId: string;
  allIds: string[];
  size: number;
}

/** What a delete removed. */
export interface DeleteInstanceResult {
  instancesDeleted: number;
  executionsDeleted: number;
  eventsDeleted: number;
  queueMessagesDeleted: number;
}

/** Which terminal root instances a bulk delete removes (conditions are ANDed). */
export interface InstanceFilter {
  instanceIds?: string[];
  /** Only executions completed before this epoch-ms time. */
  completedBefore?: number;
  /** At most this many roots (default 1000). */
  limit?: number;
}

/** Which old executions a prune removes; the current execution is always kept. */
export interface PruneOptions {
  keepLast?: number;
  completedBefore?: number;
}

/** What a prune removed. */
export interface PruneResult {
  instancesProcessed: number;
  executionsDeleted: number;
  eventsDeleted: number;
}

/** The optional management capability. */
export interface ProviderAdmin {
  /** One read: every instance id, newest first. */
  listInstances(): Promise<string[]>;
  /** One read: instances whose current execution has this status. */
  listInstancesByStatus(status: ExecutionStatus): Promise<string[]>;
  /** One read: execution ids, ascending; empty when unknown. */
  listExecutions(instance: string): Promise<number[]>;
  /** One read: one execution's events. */
  readHistoryWithExecutionId(instance: string, executionId: number): Promise<Event[]>;
  /** One read: the latest execution's events. */
  readHistory(instance: string): Promise<Event[]>;
  /** One read: the highest execution id, or 1 when none. */
  latestExecutionId(instance: string): Promise<number>;
  /** One read: instance metadata; a permanent "not found" error when unknown. */
  getInstanceInfo(instance: string): Promise<InstanceInfo>;
  /** One read: execution metadata; a permanent "not found" error when unknown. */
  getExecutionInfo(instance: string, executionId: number): Promise<ExecutionInfo>;
  /** One read: store-wide counts. */
  getSystemMetrics(): Promise<SystemMetrics>;
  /** One read: unlocked queue rows. */
  getQueueDepths(): Promise<QueueDepths>;
  /** One read: direct children; empty when unknown. */
  listChildren(instance: string): Promise<string[]>;
  /** One read: the parent id, or null for a root; a permanent "not found" error when unknown. */
  getParentId(instance: string): Promise<string | null>;
  /** Reads: the instance and all its descendants. */
  getInstanceTree(instance: string): Promise<InstanceTree>;
  /**
   * One transaction: deletes these instances (history, executions, queues, locks, KV); fails without
   * `force` when one is running, and fails when it would orphan a child not in the list.
   */
  deleteInstancesAtomic(ids: string[], force: boolean): Promise<DeleteInstanceResult>;
  /** One transaction: deletes a root and its whole tree; a child id fails (delete the root instead). */
  deleteInstance(instance: string, force: boolean): Promise<DeleteInstanceResult>;
  /** Deletes matching terminal root instances with their trees, each tree atomically. */
  deleteInstanceBulk(filter: InstanceFilter): Promise<DeleteInstanceResult>;
  /** One transaction: deletes old non-running executions, never the current one; KV is untouched. */
  pruneExecutions(instance: string, options: PruneOptions): Promise<PruneResult>;
  /** Prunes every matching instance (running ones included), each atomically. */
  pruneExecutionsBulk(filter: InstanceFilter, options: PruneOptions): Promise<PruneResult>;
}
