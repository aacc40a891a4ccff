import type { Event } from '../history/events.js';
import type { OrchestratorItem } from '../history/work-items.js';
import type { KvEntry } from '../provider/provider-contract.js';

/** A parent link: who started this instance as a sub-orchestration, and from which of its executions. */
export interface ParentLink {
  instance: string;
  /** The parent's `SubOrchestrationScheduled` event id. */
  id: number;
  /** The parent's execution (carried explicitly; duroxide guessed it from process memory). */
  executionId: number | undefined;
}

/** What `prepareTurn` hands to `executeTurn` (the opaque `state` of a `run` preparation). */
export interface TurnState {
  instance: string;
  executionId: number;
  /** Persisted events of the execution this turn writes to (empty for a new execution). */
  history: Event[];
  /** The batch without start / continue-as-new messages; carried-forward queue messages first. */
  messages: OrchestratorItem[];
  kvSnapshot: Record<string, KvEntry>;
  orchestrationName: string;
  /** Raw JSON input of the execution. */
  input: string;
  parent: ParentLink | null;
  /** Queue messages carried over continue-as-new (recorded in `OrchestrationStarted`). */
  carryForwardEvents: [string, string][];
  /** Custom status carried over continue-as-new. */
  initialCustomStatus: string | null;
}
