/** Which component an error came from; only `application` errors ever reach orchestration code. */
export type ErrorCategory = 'infrastructure' | 'configuration' | 'application' | 'poison';

/** The kind of an application error. */
export type AppErrorKind =
  | { type: 'ActivityFailed' }
  | { type: 'OrchestrationFailed' }
  | { type: 'Panicked' }
  | { type: 'Cancelled'; reason: string };

/** What was poisoned: an orchestration batch, an activity, or an unreadable history. */
export type PoisonMessageType =
  | { type: 'Orchestration'; instance: string; executionId: number }
  | { type: 'Activity'; instance: string; executionId: number; activityName: string; activityId: number }
  | { type: 'FailedDeserialization'; instance: string; executionId: number; error: string };

/** Structured failure details, duroxide's `ErrorDetails` with its four categories. */
export type ErrorDetails =
  | { category: 'infrastructure'; operation: string; message: string; retryable: boolean }
  | { category: 'configuration'; kind: 'Nondeterminism'; resource: string; message: string | null }
  | { category: 'application'; kind: AppErrorKind; message: string; retryable: boolean }
  | {
      category: 'poison';
      attemptCount: number;
      maxAttempts: number;
      messageType: PoisonMessageType;
      message: string;
    };

/** Builds an application error of kind `ActivityFailed` (what a throwing activity records). */
export function activityFailure(message: string): ErrorDetails {
  return { category: 'application', kind: { type: 'ActivityFailed' }, message, retryable: false };
}

/** Builds an application error of kind `OrchestrationFailed` (what a throwing orchestration records). */
export function orchestrationFailure(message: string): ErrorDetails {
  return { category: 'application', kind: { type: 'OrchestrationFailed' }, message, retryable: false };
}

/** Builds a nondeterminism failure (configuration category). */
export function nondeterminismFailure(message: string): ErrorDetails {
  return { category: 'configuration', kind: 'Nondeterminism', resource: '', message };
}

/** Builds the failure recorded for a cancelled instance. */
export function cancelledFailure(reason: string): ErrorDetails {
  return { category: 'application', kind: { type: 'Cancelled', reason }, message: '', retryable: false };
}

/** Builds the failure recorded when orchestration code threw something that is not an Error. */
export function panickedFailure(message: string): ErrorDetails {
  return { category: 'application', kind: { type: 'Panicked' }, message, retryable: false };
}

/** Builds an infrastructure failure. */
export function infrastructureFailure(operation: string, message: string, retryable: boolean): ErrorDetails {
  return { category: 'infrastructure', operation, message, retryable };
}

/** The human-readable message with duroxide's prefixes (`canceled:`, `nondeterministic:`, `poison:`). */
export function displayMessage(details: ErrorDetails): string {
  switch (details.category) {
    case 'infrastructure':
      return `infrastructure:${details.operation}: ${details.message}`;
    case 'configuration':
      return details.message !== null
        ? `nondeterministic: ${details.message}`
        : `nondeterministic in ${details.resource}`;
    case 'application':
      switch (details.kind.type) {
        case 'Cancelled':
          return `canceled: ${details.kind.reason}`;
        case 'Panicked':
          return `orchestration panicked: ${details.message}`;
        default:
          return details.message;
      }
    case 'poison':
      return poisonDisplay(details.attemptCount, details.maxAttempts, details.messageType);
  }
}

function poisonDisplay(attempts: number, max: number, type: PoisonMessageType): string {
  switch (type.type) {
    case 'Orchestration':
      return `poison: orchestration ${type.instance} exceeded ${attempts} attempts (max ${max})`;
    case 'Activity':
      return `poison: activity ${type.activityName}#${type.activityId} exceeded ${attempts} attempts (max ${max})`;
    case 'FailedDeserialization':
      return `poison: orchestration ${type.instance} history deserialization failed after ${attempts} attempts (max ${max}): ${type.error}`;
  }
}

/** Whether a retry may help; runtime-created application errors are never retryable. */
export function isRetryable(details: ErrorDetails): boolean {
  switch (details.category) {
    case 'infrastructure':
    case 'application':
      return details.retryable;
    default:
      return false;
  }
}
