import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Lifecycle, Logger } from '../kernel/index.js';
import type { SecurityModule } from '../security/index.js';
import type { ServerConfig } from './config.js';
import { adminSchema } from './graphql/admin.js';
import { GraphQLEdge } from './graphql/graphql-edge.js';
import { GrpcEdge } from './grpc/grpc-server.js';
import { createHttpServer } from './rest/http-server.js';
import { createProbeServer } from './rest/probe-server.js';
import type { ReadinessProbe } from './rest/operations.js';
import { ReloadingServerCredentials } from './tls/grpc-credentials.js';
import { ServerCertificates } from './tls/server-certificates.js';

export interface EdgeServerOptions {
  /** Authentication, rate limits and audit of every non-public route. */
  readonly security?: SecurityModule;
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly readiness: ReadinessProbe;
  readonly version: string;
}

/** How a drain ended: `complete` when every in-flight request finished within the grace period. */
export interface DrainResult {
  readonly complete: boolean;
}

/**
 * The process's listeners: HTTP (Fastify) and gRPC. Other modules add their routes and services
 * before the platform starts it. Shutdown is two steps: `drain` stops accepting and lets in-flight
 * requests finish while the modules they call are still running; `stop` then only releases what
 * is left.
 */
export class EdgeServer implements Lifecycle {
  #draining: Promise<DrainResult> | undefined;

  private constructor(
    readonly http: FastifyInstance,
    readonly grpc: GrpcEdge,
    /** /graphql on the HTTP listener, from the schema parts the modules add. */
    readonly graphql: GraphQLEdge,
    private readonly options: EdgeServerOptions,
    /** With `server.tls`: the certificate both listeners serve, reloaded from its files. */
    readonly certificates: ServerCertificates | undefined,
    /** With `server.probePort`: plain HTTP with the health and metrics routes only. */
    readonly probes: FastifyInstance | undefined,
  ) {}

  /** Loads the TLS files when configured: a bad one is CONFIG_INVALID before anything listens. */
  static async create(options: EdgeServerOptions): Promise<EdgeServer> {
    const tls = options.config.tls;
    const certificates = tls === undefined ? undefined : await ServerCertificates.load(tls, options.logger);
    const http = await createHttpServer({ ...options, certificates });
    const grpc = new GrpcEdge(
      options.config,
      options.logger,
      certificates === undefined ? undefined : new ReloadingServerCredentials(certificates),
      options.security,
    );
    const graphql = new GraphQLEdge();
    if (options.security?.enabled === true) graphql.add(adminSchema(options.security));
    const probes = options.config.probePort === undefined ? undefined : await createProbeServer(options);
    return new EdgeServer(http, grpc, graphql, options, certificates, probes);
  }

  /** `http://host:port`, or `https://` with TLS, once listening. */
  get httpUrl(): string | undefined {
    return urlOf(this.http, this.certificates === undefined ? 'http' : 'https');
  }

  /** `http://host:port` of the probe listener (`server.probePort`), once listening. */
  get probeUrl(): string | undefined {
    return this.probes === undefined ? undefined : urlOf(this.probes, 'http');
  }

  async start(): Promise<void> {
    const { certificates } = this;
    if (certificates !== undefined) {
      const { subject, fingerprint256, validTo } = certificates.current;
      const { clientCertificates, reloadIntervalMs } = certificates.config;
      this.options.logger.info(
        { subject, fingerprint256, validTo, clientCertificates, reloadIntervalMs },
        'TLS on for HTTP and gRPC',
      );
    }
    await this.graphql.register(this.http, this.options.config.graphql, this.options.security);
    // Fastify logs the address it listens on.
    await this.http.listen({ host: this.options.config.host, port: this.options.config.httpPort });
    await this.grpc.start();
    const probePort = this.options.config.probePort;
    if (this.probes !== undefined && probePort !== undefined)
      await this.probes.listen({ host: this.options.config.host, port: probePort });
    certificates?.start();
  }

  /**
   * Stops accepting connections and waits up to `gracePeriodMs` for in-flight HTTP requests and
   * gRPC calls; past that, their connections are closed. Idempotent: later calls share the first.
   */
  drain(gracePeriodMs: number): Promise<DrainResult> {
    this.#draining ??= this.#drain(gracePeriodMs);
    return this.#draining;
  }

  async stop(): Promise<void> {
    await this.drain(this.options.config.shutdownGracePeriodMs);
  }

  async #drain(gracePeriodMs: number): Promise<DrainResult> {
    this.grpc.setServing(false);
    const closing = Promise.all([
      this.http.close(),
      this.grpc.shutdown(),
      this.certificates?.stop(),
      this.probes?.close(),
    ]);
    const timer = new AbortController();
    const outcome = await Promise.race([
      closing.then(() => 'drained' as const),
      sleep(gracePeriodMs, 'expired' as const, { signal: timer.signal }).catch(() => 'drained' as const),
    ]);
    timer.abort();
    if (outcome === 'drained') return { complete: true };
    this.options.logger.warn(
      { gracePeriodMs },
      'grace period expired; closing connections with requests in flight',
    );
    this.http.server.closeAllConnections();
    this.probes?.server.closeAllConnections();
    this.grpc.forceShutdown();
    await closing;
    return { complete: false };
  }
}

/** A listening Fastify instance's base URL; undefined before it listens. */
function urlOf(app: FastifyInstance, scheme: 'http' | 'https'): string | undefined {
  const address = app.server.address();
  if (address === null || typeof address === 'string') return undefined;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}
