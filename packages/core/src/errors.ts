/** Stable machine-readable error codes carried by every `DurableError`. */
export type ErrorCode =
  | 'ACTIVITY_FAILED'
  | 'SUB_ORCHESTRATION_FAILED'
  | 'NONDETERMINISM'
  | 'TIMEOUT'
  | 'PROVIDER'
  | 'CONFIGURATION'
  | 'INSTANCE_NOT_FOUND'
  | 'INVALID_INPUT'
  | 'CORRUPT_RECORD'
  | 'INSTANCE_STILL_RUNNING'
  | 'CANNOT_DELETE_SUB_ORCHESTRATION'
  | 'MANAGEMENT_NOT_AVAILABLE'
  | 'LIMIT_EXCEEDED'
  | 'ORCHESTRATION_FAILED'
  | 'DECODE_FAILED';

/** Base class of every error thrown by duroxide-ts packages; branch on `code`. */
export class DurableError extends Error {
  /** Machine-readable error code. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An activity failed with an application error; thrown into orchestration code. */
export class ActivityFailedError extends DurableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ACTIVITY_FAILED', message, options);
  }
}

/** A sub-orchestration failed; thrown into the parent's code. */
export class SubOrchestrationFailedError extends DurableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SUB_ORCHESTRATION_FAILED', message, options);
  }
}

/** Orchestration code no longer matches its recorded history. */
export class NondeterminismError extends DurableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NONDETERMINISM', message, options);
  }
}

/** A wait ran out of time. */
export class TimeoutError extends DurableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TIMEOUT', message, options);
  }
}

/** Invalid runtime, provider or call options; the message names the option. */
export class ConfigurationError extends DurableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIGURATION', message, options);
  }
}

/** The named instance does not exist. */
export class InstanceNotFoundError extends DurableError {
  constructor(instanceId: string, options?: { cause?: unknown }) {
    super('INSTANCE_NOT_FOUND', `instance '${instanceId}' not found`, options);
  }
}

/** A storage operation failed; `retryable` says whether trying again may succeed. */
export class ProviderError extends DurableError {
  /** The contract operation that failed, e.g. `ackOrchestrationItem`. */
  readonly operation: string;
  /** Whether the caller may retry the same call. */
  readonly retryable: boolean;

  constructor(operation: string, message: string, retryable: boolean, options?: { cause?: unknown }) {
    super('PROVIDER', `${operation}: ${message}`, options);
    this.operation = operation;
    this.retryable = retryable;
  }

  /** A failure that may succeed when tried again (busy database, lost connection). */
  static retryable(operation: string, message: string, cause?: unknown): ProviderError {
    return new ProviderError(operation, message, true, cause === undefined ? undefined : { cause });
  }

  /** A failure that will fail again (bad token, constraint violation, bad input). */
  static permanent(operation: string, message: string, cause?: unknown): ProviderError {
    return new ProviderError(operation, message, false, cause === undefined ? undefined : { cause });
  }
}
