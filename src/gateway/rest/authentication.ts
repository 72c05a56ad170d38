import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { toStrataError } from '../../kernel/index.js';
import {
  setRateLimitHeaders,
  type Credentials,
  type Identity,
  type RouteClass,
  type SecurityModule,
} from '../../security/index.js';
import { authenticate as authenticateCredentials, IdentityCaller } from '../procedures/caller.js';
import type { Caller } from '../procedures/guard.js';
import { verifiedClientCertificate } from '../tls/client-certificate.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request; absent when authentication is off (security.auth.enabled=false). */
    identity?: Identity;
    /** The guard's view of the caller (procedures/guard.ts); absent when authentication is off. */
    caller?: Caller;
  }
}

/**
 * Routes anyone may call: liveness and readiness probes (Kubernetes sends no credentials), the
 * metrics Prometheus scrapes, the API description, Qdrant's version probe, and the pages of /docs
 * and /graphiql (which call the API with the credentials their user enters). Everything else
 * needs credentials.
 */
const publicRoutes: ReadonlySet<string> = new Set([
  '/',
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
  '/v2/health/live',
  '/v2/health/ready',
]);

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Authenticates every request to a non-public route before its body is read (docs/decisions/0008):
 * the credentials become `request.identity`, then the caller's rate limits are taken and their
 * state goes back in `RateLimit-*` headers. A missing or bad credential is UNAUTHENTICATED (401)
 * and an audit record; an empty bucket is RATE_LIMITED (429, Retry-After). Unknown routes are
 * left to the 404 handler.
 *
 * The check is a hook of each non-public route, added as the route is registered, with what it
 * needs of the route (its rate-limit class, its pattern for audit records) worked out then rather
 * than on every request. Route hooks run after the server's and plugins' onRequest hooks; none of
 * those reads the body or the caller.
 */
export function installAuthentication(app: FastifyInstance, security: SecurityModule): void {
  // Declared up front so that every request object has the same shape (Fastify's advice).
  app.decorateRequest('identity', undefined);
  app.decorateRequest('caller', undefined);
  app.addHook('onRoute', (route) => {
    const url = route.url;
    if (isPublic(url)) return;
    const hook = authenticationHook(security, url);
    const existing = route.onRequest;
    route.onRequest =
      existing === undefined ? [hook] : Array.isArray(existing) ? [...existing, hook] : [existing, hook];
  });
}

function isPublic(url: string): boolean {
  return publicRoutes.has(url) || url.startsWith('/docs') || url.startsWith('/graphiql');
}

/**
 * A callback hook with a synchronous path: a repeated API key with in-memory limits (the common
 * case) is checked without a promise. New keys, JWTs, certificates and Redis limits wait.
 */
function authenticationHook(security: SecurityModule, url: string): onRequestHookHandler {
  const routeClass = routeClassOf(url);
  const graphql = url === '/graphql';
  return (request, reply, done) => {
    if (graphql && isSubscriptionSocket(request)) {
      done();
      return;
    }
    try {
      const known = security.authenticateNow(headerCredentialsOf(request));
      const admitted =
        known === undefined
          ? authenticate(request, url, security).then((identity) =>
              admit(request, reply, identity, security, routeClass),
            )
          : admit(request, reply, known, security, routeClass);
      if (admitted === undefined) done();
      else
        admitted.then(
          () => {
            done();
          },
          (error: unknown) => {
            done(toStrataError(error));
          },
        );
    } catch (error) {
      done(toStrataError(error));
    }
  };
}

/**
 * The WebSocket upgrade of GraphQL subscriptions: browsers cannot send headers on it, so each
 * subscription authenticates when it starts, from the connection's init message
 * (graphql/context.ts), and its rate limits are taken then.
 */
function isSubscriptionSocket(request: FastifyRequest): boolean {
  return request.headers.upgrade?.toLowerCase() === 'websocket';
}

/** Sets the request's identity and caller, then takes its rate limits (at once when in memory). */
function admit(
  request: FastifyRequest,
  reply: FastifyReply,
  identity: Identity,
  security: SecurityModule,
  routeClass: RouteClass | undefined,
): undefined | Promise<void> {
  request.identity = identity;
  request.caller = callerOf(request, identity, security);
  const decision = security.admit(identity, routeClass);
  // On the raw response, as helmet's are: Fastify would store them only to copy them there.
  if (decision instanceof Promise) {
    return decision.then((taken) => {
      if (taken !== undefined) setRateLimitHeaders(taken, reply.raw);
    });
  }
  if (decision !== undefined) setRateLimitHeaders(decision, reply.raw);
  return undefined;
}

/** The route class whose bucket a route takes (`security.rateLimit.perRouteClass`), if any. */
function routeClassOf(route: string): RouteClass | undefined {
  if (route.startsWith('/v2/') || route.startsWith('/v1/')) return 'inference';
  if (route.startsWith('/collections')) return 'vectors';
  if (route.startsWith('/admin/')) return 'admin';
  return undefined;
}

function headerCredentialsOf(request: FastifyRequest): Credentials {
  return { authorization: header(request.headers.authorization), apiKey: header(request.headers['api-key']) };
}

function credentialsOf(request: FastifyRequest): Credentials {
  return {
    ...headerCredentialsOf(request),
    clientCertificate: verifiedClientCertificate(request.raw.socket),
    source: request.ip,
  };
}

function callerOf(request: FastifyRequest, identity: Identity, security: SecurityModule): Caller {
  return new IdentityCaller(request.id, identity, security);
}

function authenticate(request: FastifyRequest, url: string, security: SecurityModule): Promise<Identity> {
  return authenticateCredentials(security, credentialsOf(request), {
    requestId: request.id,
    resource: `${request.method} ${url}`,
  });
}
