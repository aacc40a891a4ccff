import type { Client } from '../client/client.js';
import type { ActivityContext } from '../definitions.js';
import type { ActivityExecuteItem } from '../history/work-items.js';
import type { FilteredLogger, LogLevel } from '../observability/logger.js';

/** Identity of the orchestration that scheduled an activity. */
export interface OrchestrationIdentity {
  name: string;
  version: string;
}

/** The `ctx` an activity handler receives. */
export class RuntimeActivityContext implements ActivityContext {
  readonly instanceId: string;
  readonly executionId: number;
  readonly orchestrationName: string;
  readonly orchestrationVersion: string;
  readonly activityName: string;
  readonly activityId: number;
  readonly workerId: string;
  readonly sessionId: string | null;
  readonly signal: AbortSignal;
  private readonly activityTag: string | null;

  constructor(
    item: ActivityExecuteItem,
    orchestration: OrchestrationIdentity,
    workerId: string,
    signal: AbortSignal,
    private readonly client: Client,
    private readonly logger: FilteredLogger,
  ) {
    this.instanceId = item.instance;
    this.executionId = item.executionId;
    this.orchestrationName = orchestration.name;
    this.orchestrationVersion = orchestration.version;
    this.activityName = item.name;
    this.activityId = item.id;
    this.workerId = workerId;
    this.sessionId = item.sessionId ?? null;
    this.activityTag = item.tag ?? null;
    this.signal = signal;
  }

  /** The activity's tag, or null. */
  tag(): string | null {
    return this.activityTag;
  }

  /** Whether cancellation was requested (the signal is aborted). */
  isCancelled(): boolean {
    return this.signal.aborted;
  }

  /** A client over the runtime's provider. */
  getClient(): Client {
    return this.client;
  }

  /** Logs at info with the activity's correlation fields. */
  traceInfo(message: string): void {
    this.trace('info', message);
  }

  /** Logs at warn with the activity's correlation fields. */
  traceWarn(message: string): void {
    this.trace('warn', message);
  }

  /** Logs at error with the activity's correlation fields. */
  traceError(message: string): void {
    this.trace('error', message);
  }

  /** Logs at debug with the activity's correlation fields. */
  traceDebug(message: string): void {
    this.trace('debug', message);
  }

  private trace(level: LogLevel, message: string): void {
    this.logger.trace(level, 'duroxide::activity', String(message), {
      instanceId: this.instanceId,
      executionId: this.executionId,
      orchestrationName: this.orchestrationName,
      orchestrationVersion: this.orchestrationVersion,
      activityName: this.activityName,
      activityId: this.activityId,
      workerId: this.workerId,
      activityTag: this.activityTag,
    });
  }
}
