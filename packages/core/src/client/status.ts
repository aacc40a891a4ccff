import { displayMessage, type ErrorDetails } from '../history/error-details.js';
import type { Event } from '../history/events.js';
import { decodePayload } from '../history/payload.js';

/** Custom status fields every status reading carries. */
interface CustomStatusFields {
  /** The orchestration's custom status string, or null. */
  customStatus: string | null;
  /** Grows by one for each committed turn that changed the custom status. */
  customStatusVersion: number;
}

/** No instance with this id exists. */
export interface NotFoundStatus extends CustomStatusFields {
  status: 'NotFound';
  output?: undefined;
  error?: undefined;
  failureDetails?: undefined;
}

/** The instance is running (or between executions of a continue-as-new). */
export interface RunningStatus extends CustomStatusFields {
  status: 'Running';
  output?: undefined;
  error?: undefined;
  failureDetails?: undefined;
}

/** The instance completed; `output` is the parsed result. */
export interface CompletedStatus<O = unknown> extends CustomStatusFields {
  status: 'Completed';
  output: O;
  error?: undefined;
  failureDetails?: undefined;
}

/** The instance failed (or was cancelled: `error` starts with `canceled:`). */
export interface FailedStatus extends CustomStatusFields {
  status: 'Failed';
  output?: undefined;
  /** The display message with duroxide's prefixes (`canceled:`, `nondeterministic:`, `poison:`). */
  error: string;
  /** The structured failure. */
  failureDetails: ErrorDetails;
}

/**
 * An instance's status. Every variant declares `output`, `error` and `failureDetails` (possibly undefined),
 * so they can be read without narrowing; narrowing on `status` gives them precise types.
 */
export type OrchestrationStatus<O = unknown> =
  | NotFoundStatus
  | RunningStatus
  | CompletedStatus<O>
  | FailedStatus;

/** A finished instance's status, as `waitForOrchestration` returns it. */
export type TerminalStatus<O = unknown> = CompletedStatus<O> | FailedStatus;

/** The status recorded by one execution's history, scanning backwards (§6), without custom status. */
export function statusFromHistory<O>(events: Event[], custom: CustomStatusFields): OrchestrationStatus<O> {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    switch (event.kind) {
      case 'OrchestrationCompleted':
        return { status: 'Completed', output: decodePayload<O>(event.output), ...custom };
      case 'OrchestrationFailed':
        return {
          status: 'Failed',
          error: displayMessage(event.details),
          failureDetails: event.details,
          ...custom,
        };
      case 'OrchestrationContinuedAsNew':
      case 'OrchestrationStarted':
        return { status: 'Running', ...custom };
      default:
        break;
    }
  }
  return { status: 'NotFound', customStatus: null, customStatusVersion: 0 };
}

/** Whether a status is final. */
export function isTerminalStatus<O>(status: OrchestrationStatus<O>): status is TerminalStatus<O> {
  return status.status === 'Completed' || status.status === 'Failed';
}
