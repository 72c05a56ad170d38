export { loggingConfigSchema, type LoggingConfig } from './config.js';
export { createHttpMetrics, createMetricsRegistry, type HttpMetrics } from './metrics.js';
export { parseTraceparent } from './traceparent.js';
