import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per platform instance rather than prom-client's global one, so that several
 * platforms in one process (tests, embedded use) never clash over metric names.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

export interface HttpMetrics {
  readonly requests: Counter<'method' | 'route' | 'status_code'>;
  readonly duration: Histogram<'method' | 'route' | 'status_code'>;
  readonly inFlight: Gauge<'method' | 'route'>;
}

/**
 * Per-route request metrics. `route` is the route's pattern (`/collections/:name`), never the raw
 * URL, and unmatched requests share one label value, so that label cardinality stays bounded.
 */
export function createHttpMetrics(registry: Registry): HttpMetrics {
  return {
    requests: new Counter({
      name: 'strata_http_requests_total',
      help: 'HTTP requests completed, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'strata_http_request_duration_seconds',
      help: 'HTTP request duration from the first byte received to the response sent.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'strata_http_requests_in_flight',
      help: 'HTTP requests received and not yet answered.',
      labelNames: ['method', 'route'],
      registers: [registry],
    }),
  };
}
