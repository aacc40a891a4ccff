export * from './client/index.js';
export type {
  ActivityContext,
  ActivityDefinition,
  ActivityHandler,
  Decoder,
  InputOf,
  OrchestrationDefinition,
  OrchestrationHandler,
  OutputOf,
  PayloadDecoders,
} from './definitions.js';
export { defineActivity, defineOrchestration } from './definitions.js';
export {
  ActivityFailedError,
  ConfigurationError,
  DurableError,
  type ErrorCode,
  InstanceNotFoundError,
  NondeterminismError,
  ProviderError,
  SubOrchestrationFailedError,
  TimeoutError,
} from './errors.js';
export * from './history/index.js';
export * from './observability/index.js';
export * from './provider/index.js';
export type {
  ActivityOptions,
  ActivityRef,
  ActivityTask,
  Awaitable,
  DurableTask,
  OrchestrationContext,
  OrchestrationRef,
  RaceResult,
  RetryPolicy,
  Settled,
  SubOrchestrationOptions,
} from './replay/context-api.js';
export {
  backoffDelayMs,
  executeTurn,
  normalizeRetryPolicy,
  prepareTurn,
  resumeTurn,
  SYSTEM_ACTIVITY_GET_KV_VALUE,
  SYSTEM_ACTIVITY_NEW_GUID,
  SYSTEM_ACTIVITY_PREFIX,
  SYSTEM_ACTIVITY_UTC_NOW,
  turnEngine,
} from './replay/index.js';
export type {
  PreparedTurn,
  SuspendedTurn,
  TurnEngine,
  TurnExecution,
  TurnOutcome,
  TurnResult,
} from './replay/turn-types.js';
export * from './runtime/index.js';
export { DUROXIDE_VERSION } from './version.js';
