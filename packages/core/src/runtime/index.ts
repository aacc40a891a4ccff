export type { OrchestrationIdentity } from './activity-context.js';
export type {
  ObservabilityOptions,
  ResolvedRuntimeOptions,
  RuntimeOptions,
  UnregisteredBackoffOptions,
} from './options.js';
export { DEFAULT_RUNTIME_OPTIONS, resolveRuntimeOptions } from './options.js';
export { DEFAULT_ORCHESTRATION_VERSION, type VersionPolicy } from './registry.js';
export { DEFAULT_SHUTDOWN_TIMEOUT_MS, Runtime } from './runtime.js';
export { lockRenewalIntervalMs, unregisteredBackoffMs } from './timing.js';
