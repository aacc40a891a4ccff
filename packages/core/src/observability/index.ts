export type { LogFields, Logger, LogLevel, LogThreshold } from './logger.js';
export { consoleLogger, FilteredLogger, isLogThreshold, levelEnabled } from './logger.js';
export type { MetricLabels, MetricsSink, MetricsSnapshot } from './metrics.js';
export { emptyMetricsSnapshot, METRIC_NAMES, providerErrorType, RuntimeMetrics } from './metrics.js';
