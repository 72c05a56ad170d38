import type { FastifyInstance, RawRequestDefaultExpression } from 'fastify';
import type { HttpMetrics } from '../../observability/index.js';
import { parseTraceparent } from '../../observability/index.js';
import { requestIdOf } from '../procedures/caller.js';

/** A request's id: the client's `x-request-id` when plain (see requestIdOf), else a fresh one. */
export function requestIdFor(request: RawRequestDefaultExpression): string {
  const given = request.headers['x-request-id'];
  return requestIdOf(typeof given === 'string' ? given : undefined);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The route's pattern for metrics labels (`unmatched` for none), read once per request. */
    routeLabel: string;
  }
}

/**
 * Per request: echo the request id, bind the trace id to the request's logger (so the access line
 * and every log line of the request carry it) and count the request in the route metrics.
 */
export function installRequestContext(app: FastifyInstance, metrics: HttpMetrics): void {
  app.decorateRequest('routeLabel', '');
  // Callback hooks: an async one costs every request a promise.
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    const traceId = parseTraceparent(request.headers['traceparent']);
    if (traceId !== undefined) request.log = request.log.child({ traceId });
    // Fastify builds routeOptions afresh on each read.
    request.routeLabel = routeLabel(request.routeOptions.url);
    metrics.inFlight.inc({ method: request.method, route: request.routeLabel });
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    // Empty when an earlier onRequest hook ended the request before this one ran.
    const route = request.routeLabel || routeLabel(request.routeOptions.url);
    const seconds = reply.elapsedTime / 1000;
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    metrics.inFlight.dec({ method: request.method, route });
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, seconds);
    done();
  });
}

function routeLabel(pattern: string | undefined): string {
  return pattern ?? 'unmatched';
}
