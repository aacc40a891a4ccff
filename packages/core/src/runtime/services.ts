import type { Client } from '../client/client.js';
import type { RuntimeTracing } from '../observability/tracing.js';
import type { Provider } from '../provider/provider-contract.js';
import type { TurnEngine } from '../replay/turn-types.js';
import type { SlotHost } from './lifecycle.js';
import type { ResolvedRuntimeOptions } from './options.js';
import type { ActivityRegistry, OrchestrationRegistry } from './registry.js';
import type { RunningActivities } from './running-activities.js';
import type { SessionSlots } from './sessions.js';
import type { TurnCounts } from './turn-counts.js';

/** Everything the dispatchers share within one runtime. */
export interface RuntimeServices extends SlotHost {
  /** The store. */
  provider: Provider;
  /** Validated options. */
  options: ResolvedRuntimeOptions;
  /** The replay engine (`prepareTurn` / `executeTurn`). */
  engine: TurnEngine;
  /** Orchestration handlers. */
  orchestrations: OrchestrationRegistry;
  /** Activity handlers (user and built-in). */
  activities: ActivityRegistry;
  /** Four hex characters identifying this runtime in worker ids. */
  runtimeId: string;
  /** A client over the same provider (handed to activities). */
  client: Client;
  /** Ref-counted session capacity of the worker slots. */
  sessions: SessionSlots;
  /** Activities running in this process (fast cancellation when a local turn cancels one). */
  running: RunningActivities;
  /** OpenTelemetry spans of turns and activities. */
  tracing: RuntimeTracing;
  /** Turns per running execution (for the turn-count metrics). */
  turnCounts: TurnCounts;
}
