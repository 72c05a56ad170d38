import { mkdir, access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import {
  EdgeServer,
  collectionSchema,
  modelSchema,
  registerInferenceRoutes,
  registerInferenceService,
  registerVectorService,
  registerOpenAIRoutes,
  registerQdrantRoutes,
  type ReadinessProbe,
} from '../gateway/index.js';
import { noLifecycle, type Lifecycle, type Logger } from '../kernel/index.js';
import { createMetricsRegistry } from '../observability/index.js';
import { SecurityModule } from '../security/index.js';
import { ServingModule } from '../serving/index.js';
import { VectorModule } from '../vector/index.js';
import type { StrataConfig } from './config/index.js';
import type { ModuleName } from './module-names.js';

/**
 * The module table: who depends on whom. Dependencies start first and stop last. Group modules
 * (`all`) have dependencies and no instance. Every process runs `server` so that each target has
 * /healthz, /readyz and /metrics.
 */
export const moduleDependencies = {
  observability: [],
  security: ['observability'],
  server: ['observability', 'security'],
  gateway: ['server'],
  vector: ['server'],
  serving: ['server'],
  features: ['server'],
  pipelines: ['server'],
  all: ['gateway', 'vector', 'serving', 'features', 'pipelines'],
} as const satisfies Record<ModuleName, readonly ModuleName[]>;

/** What each module's init returns; the platform hands these to the modules that depend on them. */
export interface ModuleInstances {
  observability: Lifecycle & { readonly registry: Registry };
  security: SecurityModule;
  server: EdgeServer;
  gateway: Lifecycle;
  vector: VectorModule;
  serving: ServingModule;
  features: Lifecycle;
  pipelines: Lifecycle;
}

export type InstanceModuleName = keyof ModuleInstances;

export interface InitContext {
  readonly config: StrataConfig;
  readonly logger: Logger;
  readonly version: string;
  readonly readiness: ReadinessProbe;
  /** Reads a secret from the process environment by variable name. */
  readonly secrets: (name: string) => string | undefined;
  /** An already initialised dependency. */
  get<K extends InstanceModuleName>(name: K): ModuleInstances[K];
}

type Init<K extends InstanceModuleName> = (
  context: InitContext,
) => ModuleInstances[K] | Promise<ModuleInstances[K]>;

/** How each module with an instance is built. Only this table constructs services. */
export const moduleInits: { readonly [K in InstanceModuleName]: Init<K> } = {
  observability: () => ({ ...noLifecycle, registry: createMetricsRegistry() }),
  security: (context) =>
    new SecurityModule({
      dataDir: context.config.dataDir,
      config: context.config.security,
      logger: context.logger,
      redisUrl: context.config.backends.redis.url,
      postgresUrl: context.config.backends.postgres.url,
    }),
  server: (context) =>
    EdgeServer.create({
      security: context.get('security'),
      config: context.config.server,
      logger: context.logger,
      registry: context.get('observability').registry,
      readiness: context.readiness,
      version: context.version,
    }),
  // The public API routes arrive with the contexts they expose (vector, serving, ...).
  gateway: () => noLifecycle,
  vector: async (context) => {
    const vector = new VectorModule({
      dataDir: context.config.dataDir,
      registry: context.get('observability').registry,
      config: context.config.vector,
      logger: context.logger,
    });
    await registerQdrantRoutes(context.get('server').http, vector.procedures, {
      uploadLimitBytes: context.config.vector.snapshots.maxUploadBytes,
      uploadDirectory: vector.uploadDirectory,
    });
    registerVectorService(context.get('server').grpc, vector.procedures);
    context.get('server').graphql.add(collectionSchema(vector.procedures));
    return vector;
  },
  serving: async (context) => {
    const serving = new ServingModule({
      dataDir: context.config.dataDir,
      config: context.config.serving,
      registry: context.get('observability').registry,
      logger: context.logger,
      secrets: context.secrets,
    });
    await registerInferenceRoutes(context.get('server').http, serving.service, { version: context.version });
    registerInferenceService(context.get('server').grpc, serving.service, { version: context.version });
    await registerOpenAIRoutes(context.get('server').http, serving.service);
    context.get('server').graphql.add(modelSchema(serving.service));
    return serving;
  },
  features: (context) => dataDirectory(context.config.dataDir, 'features'),
  pipelines: (context) => dataDirectory(context.config.dataDir, 'pipelines'),
};

/** Builds one module; generic so that the instance type follows the name. */
export function initModule<K extends InstanceModuleName>(
  name: K,
  context: InitContext,
): ModuleInstances[K] | Promise<ModuleInstances[K]> {
  const init: Init<K> = moduleInits[name];
  return init(context);
}

export function isInstanceModule(name: ModuleName): name is InstanceModuleName {
  return name in moduleInits;
}

/**
 * Until its engine lands, a context module owns its folder under the data directory: starting
 * creates it and checks that it is writable, so a bad --data-dir fails at start, naming the module.
 */
function dataDirectory(dataDir: string, name: string): Lifecycle {
  const dir = join(dataDir, name);
  return {
    start: async () => {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
    },
    stop: () => Promise.resolve(),
  };
}
