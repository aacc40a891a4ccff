import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { DUROXIDE_VERSION } from '../version.js';

/** The instrumentation scope name of every duroxide span. */
export const TRACER_NAME = '@duroxide/core';

/** Span names, stable for dashboards and tests. */
export const SPAN_NAMES = {
  orchestrationTurn: 'duroxide.orchestration.turn',
  activity: 'duroxide.activity.execute',
} as const;

/**
 * Span attribute keys. Turn and activity spans of one instance share `duroxide.instance_id` (and
 * `duroxide.execution_id`), which is how a trace backend links them.
 */
export const SPAN_ATTRIBUTES = {
  instanceId: 'duroxide.instance_id',
  executionId: 'duroxide.execution_id',
  orchestrationName: 'duroxide.orchestration_name',
  orchestrationVersion: 'duroxide.orchestration_version',
  workerId: 'duroxide.worker_id',
  turnResult: 'duroxide.turn_result',
  historySize: 'duroxide.history_size',
  activityName: 'duroxide.activity_name',
  activityId: 'duroxide.activity_id',
  activityTag: 'duroxide.activity_tag',
  sessionId: 'duroxide.session_id',
  attempt: 'duroxide.attempt',
  outcome: 'duroxide.outcome',
} as const;

/** Starts the runtime's spans on a tracer from `provider` or the global TracerProvider. */
export class RuntimeTracing {
  private readonly tracer: Tracer;

  constructor(provider: TracerProvider | null) {
    // The global provider is a proxy, so an SDK registered after the runtime was built still receives spans.
    this.tracer = (provider ?? trace.getTracerProvider()).getTracer(TRACER_NAME, DUROXIDE_VERSION);
  }

  /** A span for one orchestration turn (ended by the caller). */
  startTurn(attributes: Attributes): Span {
    return this.tracer.startSpan(SPAN_NAMES.orchestrationTurn, { kind: SpanKind.INTERNAL, attributes });
  }

  /** A span for one activity execution (ended by the caller). */
  startActivity(attributes: Attributes): Span {
    return this.tracer.startSpan(SPAN_NAMES.activity, { kind: SpanKind.CONSUMER, attributes });
  }

  /** Runs `fn` with `span` as the active span, so spans the user code starts become its children. */
  withSpan<T>(span: Span, fn: () => T): T {
    return context.with(trace.setSpan(context.active(), span), fn);
  }
}

/** Ends a span with an outcome attribute, marking it as an error when `error` is given. */
export function endSpan(span: Span, outcome: string, error?: string): void {
  span.setAttribute(SPAN_ATTRIBUTES.outcome, outcome);
  if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  span.end();
}
