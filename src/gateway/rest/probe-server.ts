import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../../kernel/index.js';
import { AccessLog } from './access-log.js';
import { installProblemHandlers } from './errors.js';
import { registerOperationRoutes, type ReadinessProbe } from './operations.js';

export interface ProbeServerOptions {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly readiness: ReadinessProbe;
}

/**
 * The listener of `server.probePort`: plain HTTP with only /healthz, /readyz and /metrics, as
 * Triton keeps its metrics on a port of their own. Kubelet probes and Prometheus hold no client
 * certificate, so with `server.tls.clientCertificates: require` the main listener refuses them;
 * here they need none. Nothing else is served, so the port exposes no data and needs no
 * credentials (these three routes need none on the main listener either).
 */
export async function createProbeServer(options: ProbeServerOptions): Promise<FastifyInstance> {
  // Widened to Fastify's base logger so that the instance has Fastify's default type parameters.
  const logger: FastifyBaseLogger = options.logger;
  const app = Fastify({ loggerInstance: logger, logController: new AccessLog(), return503OnClosing: true });
  installProblemHandlers(app);
  registerOperationRoutes(app, options.registry, options.readiness);
  await app.ready();
  return app;
}
