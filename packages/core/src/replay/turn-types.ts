import type { OrchestrationHandler } from '../definitions.js';
import type { ErrorDetails } from '../history/error-details.js';
import type { Event } from '../history/events.js';
import type { OrchestratorItem } from '../history/work-items.js';
import type { OrchestrationAck, OrchestrationItem } from '../provider/provider-contract.js';

/** How a turn ended. */
export type TurnResult =
  | { type: 'continue' }
  | { type: 'completed'; output: string }
  | { type: 'failed'; details: ErrorDetails }
  | { type: 'continuedAsNew'; input: string; version: string | null }
  | { type: 'cancelled'; reason: string };

/**
 * What `prepareTurn` decided from a fetched item before any user code runs: either the batch needs no
 * orchestration code (acked as `ack`), or the runtime must resolve a handler and call `executeTurn`.
 */
export type PreparedTurn =
  | {
      type: 'ackOnly';
      /** Why no code runs (terminal instance, orphan completions, ...), for logs. */
      reason: string;
      ack: OrchestrationAck;
    }
  | {
      type: 'run';
      instance: string;
      /** The execution this turn writes to (current + 1 when a ContinueAsNew message starts a new one). */
      executionId: number;
      orchestrationName: string;
      /** The exact version to resolve (from history or the start message), or null for the registry's latest. */
      requestedVersion: string | null;
      /** True when the execution has no history yet (this turn writes `OrchestrationStarted`). */
      isNewExecution: boolean;
      /** Everything `executeTurn` needs; opaque to the runtime. */
      state: unknown;
    };

/** The runtime's answer to a `run` preparation. */
export interface TurnExecution {
  /** The handler resolved for `orchestrationName` at `version`. */
  handler: OrchestrationHandler;
  /** The resolved version (recorded in `OrchestrationStarted` for new executions). */
  version: string;
  /** Wall clock now (event timestamps, timer fire times, KV timestamps). */
  nowMs: number;
  /** This runtime's version (pinned on new executions). */
  duroxideVersion: string;
  /** Receives orchestration traces; called only when not replaying. */
  trace?: (level: 'info' | 'warn' | 'error' | 'debug', message: string) => void;
  /**
   * Keep the orchestration suspended when the turn ends waiting, and return it as `TurnOutcome.suspended`
   * so the next turn can continue it with `resumeTurn` instead of replaying from the start.
   */
  suspend?: boolean;
}

/**
 * An orchestration suspended after a turn that ended waiting (the instance cache's entry). Opaque: only
 * `resumeTurn` uses it, once; it is valid only if the instance's next fetched history is exactly the one
 * this turn's ack committed.
 */
export interface SuspendedTurn {
  /** The instance. */
  readonly instance: string;
  /** The execution the orchestration runs in. */
  readonly executionId: number;
  /** Events in the committed history after the turn (a memory-weight proxy for the cache). */
  readonly historyLength: number;
}

/** Everything a turn produced: what to commit, and how it ended. */
export interface TurnOutcome {
  /** Ready to pass to `provider.ackOrchestrationItem` (limits already enforced). */
  ack: OrchestrationAck;
  result: TurnResult;
  /** Events of this execution after the turn (persisted + delta), for metrics and caches. */
  history: Event[];
  /** Messages the turn dropped (wrong execution, duplicates), for logs. */
  dropped: { item: OrchestratorItem; reason: string }[];
  /** With `TurnExecution.suspend`: the orchestration to resume next turn, or null when it cannot be resumed. */
  suspended?: SuspendedTurn | null;
}

/** Signatures the replay module implements (pure: no I/O, no clock, no timers). */
export interface TurnEngine {
  /** Decides, from a fetched batch alone, whether code must run and for which execution and version. */
  prepareTurn(item: OrchestrationItem): PreparedTurn;
  /** Runs the orchestration deterministically against its history and the batch. */
  executeTurn(
    prepared: Extract<PreparedTurn, { type: 'run' }>,
    execution: TurnExecution,
  ): Promise<TurnOutcome>;
  /**
   * Continues a suspended orchestration with the next batch, with the outcome a replay from the start
   * would give; null when it cannot (history changed, other execution or handler, a pending late call, an
   * unusual batch): the caller then runs `executeTurn`. The suspended turn is spent either way.
   */
  resumeTurn?(
    suspended: SuspendedTurn,
    prepared: Extract<PreparedTurn, { type: 'run' }>,
    execution: TurnExecution,
  ): Promise<TurnOutcome | null>;
}
