import { NondeterminismError } from '../errors.js';
import {
  type ErrorDetails,
  nondeterminismFailure,
  orchestrationFailure,
  panickedFailure,
} from '../history/error-details.js';

/** Thrown values that mean a programming error rather than a business failure. */
const PROGRAMMING_ERRORS = [TypeError, ReferenceError, RangeError, SyntaxError];

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Maps what orchestration code threw to failure details: an `Error` fails with Application /
 * OrchestrationFailed and its message; TypeError, ReferenceError, RangeError, SyntaxError and non-Error
 * throws are Application / Panicked; a NondeterminismError is a configuration failure.
 */
export function failureFromThrown(thrown: unknown): ErrorDetails {
  if (thrown instanceof NondeterminismError) return nondeterminismFailure(thrown.message);
  if (PROGRAMMING_ERRORS.some((cls) => thrown instanceof cls))
    return panickedFailure((thrown as Error).message);
  if (thrown instanceof Error) return orchestrationFailure(thrown.message);
  return panickedFailure(stringify(thrown));
}
