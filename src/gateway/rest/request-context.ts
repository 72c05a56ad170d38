import type { FastifyInstance, RawRequestDefaultExpression } from 'fastify';
import type { HttpMetrics } from '../../observability/index.js';
import { parseTraceparent } from '../../observability/index.js';
import { requestIdOf } from '../procedures/caller.js';

/** A request's id: the client's `x-request-id` when plain (see requestIdOf), else a fresh one. */
export function requestIdFor(request: RawRequestDefaultExpression): string {
  const given = request.headers['x-request-id'];
  return requestIdOf(typeof given === 'string' ? given : undefined);
}

/**
 * Per request: echo the request id, bind the trace id to the request's logger (so the access line
 * and every log line of the request carry it) and count the request in the route metrics.
 */
export function installRequestContext(app: FastifyInstance, metrics: HttpMetrics): void {
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    const traceId = parseTraceparent(request.headers['traceparent']);
    if (traceId !== undefined) request.log = request.log.child({ traceId });
    metrics.inFlight.inc({ method: request.method, route: routeLabel(request.routeOptions.url) });
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = routeLabel(request.routeOptions.url);
    const seconds = reply.elapsedTime / 1000;
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    metrics.inFlight.dec({ method: request.method, route });
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, seconds);
  });
}

function routeLabel(pattern: string | undefined): string {
  return pattern ?? 'unmatched';
}
