import { isIP } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import cors from '@fastify/cors';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { StrataError, type Logger } from '../../kernel/index.js';
import type { SecurityModule } from '../../security/index.js';
import { registerKeyRoutes } from './admin/keys.js';
import { installAuthentication } from './authentication.js';
import { createHttpMetrics } from '../../observability/index.js';
import type { ServerConfig } from '../config.js';
import { AccessLog } from './access-log.js';
import { installProblemHandlers } from './errors.js';
import { registerOpenApi } from './openapi.js';
import { registerOperationRoutes, type ReadinessProbe } from './operations.js';
import { installRequestContext, requestIdFor } from './request-context.js';
import { installSecurityHeaders } from './security-headers.js';
import { secureContextOptions } from '../tls/server-certificate.js';
import type { ServerCertificates } from '../tls/server-certificates.js';

export interface HttpServerOptions {
  /** Absent in tests of single route families, which run without authentication. */
  readonly security?: SecurityModule;
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly readiness: ReadinessProbe;
  readonly version: string;
  /** With `server.tls`: the listener speaks HTTPS only, with this certificate as it reloads. */
  readonly certificates?: ServerCertificates | undefined;
}

/** The Fastify instance with the cross-cutting hooks and the operational routes; not yet listening. */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  // Widened to Fastify's base logger so that the instance has Fastify's default type parameters.
  const logger: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance: logger,
    logController: new AccessLog(),
    bodyLimit: options.config.bodyLimitBytes,
    requestIdHeader: false,
    genReqId: requestIdFor,
    return503OnClosing: true,
    ...(options.config.trustProxy.length === 0
      ? {}
      : { trustProxy: trustedProxies(options.config.trustProxy) }),
    ...(options.certificates === undefined ? {} : { https: httpsOptions(options.certificates) }),
  });
  if (options.certificates !== undefined) followReloads(app, options.certificates, options.logger);
  installRequestContext(app, createHttpMetrics(options.registry));
  await installBrowserPolicies(app, options.config, options.certificates !== undefined);
  if (options.security?.enabled === true) {
    installAuthentication(app, options.security);
    registerKeyRoutes(app, options.security);
  }
  closeConnectionsWhileDraining(app);
  installProblemHandlers(app);
  await registerOpenApi(app, options.version);
  registerOperationRoutes(app, options.registry, options.readiness);
  return app;
}

/**
 * `require` has Node refuse the handshake without a certificate the CA verifies; `request` asks
 * for one but lets every client in, and only a verified one becomes an identity (authentication.ts).
 */
function httpsOptions(certificates: ServerCertificates) {
  const mode = certificates.config.clientCertificates;
  return {
    ...secureContextOptions(certificates.current),
    requestCert: mode !== 'none',
    rejectUnauthorized: mode === 'require',
  };
}

/**
 * New handshakes get each reloaded certificate; open connections keep the context they were made
 * with. Handshakes that fail (no or another CA's client certificate, a plain-HTTP request) are
 * logged at debug level only: scanners and misconfigured clients would flood anything louder.
 */
function followReloads(app: FastifyInstance, certificates: ServerCertificates, logger: Logger): void {
  const server = app.server;
  if (!(server instanceof TlsServer)) {
    throw new StrataError('INTERNAL', 'Fastify was given https options but did not create a TLS server');
  }
  certificates.onReload((certificate) => {
    server.setSecureContext(secureContextOptions(certificate));
  });
  server.on('tlsClientError', (error: Error & { code?: string }, socket) => {
    logger.debug({ code: error.code, remoteAddress: socket.remoteAddress }, 'TLS handshake failed');
  });
}

/** The names proxy-addr, which Fastify's `trustProxy` uses, gives ranges of their own. */
const proxyRangeNames: ReadonlySet<string> = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `server.trustProxy` for Fastify, each entry checked first: a typo would otherwise stop the start with proxy-addr's bare TypeError. */
function trustedProxies(entries: readonly string[]): string[] {
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const valid =
      proxyRangeNames.has(entry) ||
      (family !== 0 &&
        rest.length === 0 &&
        (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits)));
    if (!valid) {
      throw new StrataError(
        'CONFIG_INVALID',
        `server.trustProxy: "${entry}" is not an IP address, a CIDR range such as 10.0.0.0/8, or one of ${[...proxyRangeNames].join(', ')}`,
        { details: { field: 'server.trustProxy', value: entry } },
      );
    }
  }
  return [...entries];
}

/**
 * Node keeps a keep-alive connection open after its response even while the server closes, so
 * `close()` would wait for every connection that carried a request in flight to idle out
 * (keepAliveTimeout), and a drain would miss its grace period. Answers sent once closing has
 * begun therefore close their connection.
 */
function closeConnectionsWhileDraining(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) void reply.header('connection', 'close');
  });
}

/**
 * What browsers are told: security headers on every response (security-headers.ts), and
 * cross-origin calls only from `server.corsOrigins`, with the headers API clients send and the
 * rate-limit headers readable.
 */
async function installBrowserPolicies(
  app: FastifyInstance,
  config: ServerConfig,
  https: boolean,
): Promise<void> {
  installSecurityHeaders(app, { https });
  const origins = config.corsOrigins ?? [];
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    allowedHeaders: [
      'authorization',
      'api-key',
      'content-type',
      'x-request-id',
      'inference-header-content-length',
    ],
    exposedHeaders: [
      'ratelimit-limit',
      'ratelimit-remaining',
      'ratelimit-reset',
      'retry-after',
      'x-request-id',
    ],
  });
}
