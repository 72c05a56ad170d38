import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Lifecycle, Logger } from '../kernel/index.js';
import type { ModelBackend } from './backend.js';
import { onnxBackend, remoteOipBackend, remoteOpenAIBackend, typescriptBackend } from './backends/index.js';
import type { ServingConfig } from './config.js';
import type { BackendName } from './model-config.js';
import { ServingMetrics } from './metrics.js';
import { ServingService } from './service.js';

export interface ServingModuleOptions {
  readonly dataDir: string;
  readonly config: ServingConfig;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly secrets: (name: string) => string | undefined;
  /** Replaces built-in backends by name (tests, embedders with their own runtime). */
  readonly backends?: Partial<Record<BackendName, ModelBackend>>;
}

/** Model serving as a platform module: the service, started and stopped with the process. */
export class ServingModule implements Lifecycle {
  readonly service: ServingService;

  constructor(options: ServingModuleOptions) {
    const backends: Record<BackendName, ModelBackend> = {
      typescript: typescriptBackend,
      onnx: onnxBackend,
      'remote-oip': remoteOipBackend,
      'remote-openai': remoteOpenAIBackend,
      ...options.backends,
    };
    this.service = new ServingService({
      repository: options.config.repository ?? join(options.dataDir, 'models'),
      startupModels: options.config.startupModels,
      backends,
      logger: options.logger,
      metrics: new ServingMetrics(options.registry),
      cacheBytes: options.config.responseCacheBytes,
      secrets: options.secrets,
    });
  }

  start(): Promise<void> {
    return this.service.start();
  }

  stop(): Promise<void> {
    return this.service.stop();
  }
}
