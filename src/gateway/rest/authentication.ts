import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toStrataError } from '../../kernel/index.js';
import {
  rateLimitHeaders,
  type AuditOutcome,
  type Identity,
  type SecurityModule,
} from '../../security/index.js';
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
 * metrics Prometheus scrapes, the API description, and Qdrant's version probe. Everything else
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
 */
export function installAuthentication(app: FastifyInstance, security: SecurityModule): void {
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined || publicRoutes.has(route) || route.startsWith('/docs')) return;
    const identity = await authenticate(request, security);
    request.identity = identity;
    request.caller = callerOf(request, identity, security);
    const decision = await security.admit(identity);
    if (decision !== undefined) void reply.headers(rateLimitHeaders(decision));
  });
}

function callerOf(request: FastifyRequest, identity: Identity, security: SecurityModule): Caller {
  const entry = (action: string, resource: string, outcome: AuditOutcome) => ({
    actor: identity.subject,
    tenant: identity.tenant,
    action,
    resource,
    outcome,
    requestId: request.id,
  });
  return {
    tenant: identity.tenant,
    storedVectors: security.quotasOf(identity.tenant).storedVectors,
    countInference: (items) => security.countInference(identity.tenant, items),
    authorize(action, resource) {
      try {
        security.authorize(identity, action, resource);
      } catch (error) {
        // The denial is answered at once; its record follows (a failure to write it is logged).
        security.audit(entry(action, resource, 'denied')).catch(() => undefined);
        throw error;
      }
    },
    audit: (procedure, resource, outcome) => security.audit(entry(procedure, resource, outcome)),
  };
}

async function authenticate(request: FastifyRequest, security: SecurityModule): Promise<Identity> {
  try {
    return await security.authenticate({
      authorization: header(request.headers.authorization),
      apiKey: header(request.headers['api-key']),
      clientCertificate: verifiedClientCertificate(request.raw.socket),
    });
  } catch (error) {
    const failure = toStrataError(error);
    await security.audit({
      actor: 'anonymous',
      tenant: '-',
      action: 'auth.authenticate',
      resource: `${request.method} ${request.routeOptions.url ?? request.url}`,
      outcome: 'denied',
      requestId: request.id,
      details: { code: failure.code, reason: reasonOf(failure.details?.['reason']) },
    });
    throw failure;
  }
}

function reasonOf(reason: unknown): string {
  return typeof reason === 'string' ? reason : 'unknown';
}
