import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EdgeServer, ModuleReadiness } from '../gateway/index.js';
import { StrataError, causeChain, packageRoot, type Logger } from '../kernel/index.js';
import type { StrataConfig } from './config/index.js';
import { startOrder } from './module-manager.js';
import type { ModuleName } from './module-names.js';
import {
  initModule,
  isInstanceModule,
  moduleDependencies,
  type InstanceModuleName,
  type ModuleInstances,
} from './modules.js';
import { Service } from './service.js';

export interface PlatformOptions {
  readonly config: StrataConfig;
  readonly logger: Logger;
  /** The process environment, where model configs find secrets by name (`api_key_env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface ShutdownResult {
  /** Every in-flight request finished within the grace period, and every module stopped cleanly. */
  readonly clean: boolean;
}

export function strataVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/**
 * The running process: the modules of the configured targets, initialised in dependency order
 * (so every route and service is registered before anything listens), then started in that order.
 */
export class Platform {
  readonly #services: Service[];
  readonly #instances: Partial<ModuleInstances>;

  private constructor(
    private readonly options: PlatformOptions,
    services: Service[],
    instances: Partial<ModuleInstances>,
  ) {
    this.#services = services;
    this.#instances = instances;
  }

  static async create(options: PlatformOptions): Promise<Platform> {
    const order = startOrder<ModuleName>(moduleDependencies, options.config.target).filter(isInstanceModule);
    const instances: Partial<ModuleInstances> = {};
    const services: Service[] = [];
    const version = strataVersion();
    const get = <K extends InstanceModuleName>(name: K): ModuleInstances[K] => {
      const instance = instances[name];
      if (instance === undefined)
        throw new StrataError('INTERNAL', `module ${name} used before it was initialised`);
      return instance;
    };
    const readiness = (): ModuleReadiness[] =>
      services.map((service) => ({ name: service.name, state: service.state }));
    const env = options.env ?? {};
    const secrets = (name: string): string | undefined => env[name];
    for (const name of order) {
      const logger = options.logger.child({ module: name });
      const instance = await initModule(name, {
        config: options.config,
        logger,
        version,
        readiness,
        get,
        secrets,
      });
      Object.assign(instances, { [name]: instance });
      services.push(new Service(name, instance));
    }
    const platform = new Platform(options, services, instances);
    for (const service of services)
      service.onStateChange(() => {
        platform.#reportServing();
      });
    return platform;
  }

  /** The HTTP and gRPC listeners (every target has them). */
  get server(): EdgeServer {
    const server = this.#instances.server;
    if (server === undefined)
      throw new StrataError('INTERNAL', 'the server module is not part of this platform');
    return server;
  }

  get modules(): readonly ModuleReadiness[] {
    return this.#services.map((service) => ({ name: service.name, state: service.state }));
  }

  /**
   * Starts every module, dependencies first. If one fails, the ones already started are stopped in
   * reverse order and the error names the module and its cause.
   */
  async start(): Promise<void> {
    for (const service of this.#services) {
      try {
        await service.start();
      } catch (cause) {
        await this.#stopAll();
        const reason = causeChain(cause).join(': ');
        throw new StrataError('MODULE_START_FAILED', `module ${service.name} failed to start: ${reason}`, {
          cause,
          details: { module: service.name },
        });
      }
    }
    this.options.logger.info({ modules: this.#services.map((service) => service.name) }, 'Strata is ready');
  }

  /**
   * Graceful stop: the listeners stop accepting and in-flight requests finish first, while the
   * modules they call still run; then modules stop in reverse start order.
   */
  async shutdown(): Promise<ShutdownResult> {
    const drained = await this.server.drain(this.options.config.server.shutdownGracePeriodMs);
    const stopped = await this.#stopAll();
    return { clean: drained.complete && stopped };
  }

  async #stopAll(): Promise<boolean> {
    let clean = true;
    for (const service of [...this.#services].reverse()) {
      try {
        await service.stop();
      } catch (error) {
        clean = false;
        this.options.logger.error({ err: error, module: service.name }, 'module failed to stop');
      }
    }
    return clean;
  }

  #reportServing(): void {
    const server = this.#instances.server;
    server?.grpc.setServing(this.#services.every((service) => service.state === 'running'));
  }
}
