export type { LogFields, Logger, LoggerStyle, LogLevel, LogThreshold } from './logger.js';
export { consoleLogger, detectLoggerStyle, FilteredLogger, isLogThreshold, levelEnabled } from './logger.js';
export type { GaugeReadings, MetricLabels, MetricsSink, MetricsSnapshot } from './metrics.js';
export { emptyMetricsSnapshot, METRIC_NAMES, providerErrorType, RuntimeMetrics } from './metrics.js';
export { METER_NAME, OtelMetricsSink } from './otel-metrics.js';
export { SPAN_ATTRIBUTES, SPAN_NAMES, TRACER_NAME } from './tracing.js';
