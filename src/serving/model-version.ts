import { StrataError, type Logger } from '../kernel/index.js';
import type { LoadedModel, ModelBackend, ModelInstance } from './backend.js';
import { Batcher, type BatchRequest } from './batcher.js';
import type { ModelConfig } from './model-config.js';
import type { ServingMetrics } from './metrics.js';
import type { VersionState } from './procedures.js';
import { allocate, type Tensor, type TensorSpec } from './tensor.js';

export interface ModelVersionOptions {
  readonly model: string;
  readonly version: number;
  readonly directory: string;
  readonly config: ModelConfig;
  readonly backend: ModelBackend;
  readonly logger: Logger;
  readonly metrics: ServingMetrics;
  readonly secrets: (name: string) => string | undefined;
  /** Called after every change of `state` (with its `reason`); it must not throw. */
  readonly onStateChange: (version: ModelVersion) => void;
}

/**
 * One loaded version of a model: its backend handle, `instance_count` instances, and the batcher
 * in front of them. Each version has its own state, so loading or unloading one version (or
 * another model) never changes the readiness of the others.
 */
let generations = 0;

export class ModelVersion {
  /** Unique per loaded instance of a version: a reload gets a new one, so cached answers of the old files are not reused. */
  readonly generation = ++generations;
  readonly model: string;
  readonly version: number;
  readonly config: ModelConfig;
  #state: VersionState = 'LOADING';
  #reason = '';
  #loaded: LoadedModel | undefined;
  #instances: ModelInstance[] = [];
  #batcher: Batcher | undefined;
  readonly #options: ModelVersionOptions;

  constructor(options: ModelVersionOptions) {
    this.#options = options;
    this.model = options.model;
    this.version = options.version;
    this.config = options.config;
  }

  get state(): VersionState {
    return this.#state;
  }

  get reason(): string {
    return this.#reason;
  }

  get ready(): boolean {
    return this.#state === 'READY';
  }

  get inputs(): readonly TensorSpec[] {
    return this.#loaded?.inputs ?? [];
  }

  get outputs(): readonly TensorSpec[] {
    return this.#loaded?.outputs ?? [];
  }

  /** Loads the backend, starts the instances, runs the warm-up, then turns READY. */
  async load(): Promise<void> {
    const { backend, config, logger } = this.#options;
    const started = performance.now();
    this.#enter('LOADING', '');
    try {
      if (config.max_batch_size > 0 && !backend.capabilities.batching) {
        throw new StrataError(
          'CONFIG_INVALID',
          `backend ${backend.name} cannot batch; set max_batch_size: 0 for model '${this.model}'`,
        );
      }
      this.#loaded = await backend.load({
        model: this.model,
        version: this.version,
        directory: this.#options.directory,
        config,
        logger,
        secrets: this.#options.secrets,
      });
      const unsupported = [...this.#loaded.inputs, ...this.#loaded.outputs].find(
        (spec) => !backend.capabilities.datatypes.includes(spec.datatype),
      );
      if (unsupported !== undefined) {
        throw new StrataError(
          'CONFIG_INVALID',
          `'${unsupported.name}' of model '${this.model}' is ${unsupported.datatype}, which backend ${backend.name} does not support (it takes ${backend.capabilities.datatypes.join(', ')})`,
        );
      }
      for (let i = 0; i < config.instance_count; i++)
        this.#instances.push(await this.#loaded.createInstance(i));
      this.#batcher = new Batcher(this.#instances, {
        maxBatchSize: config.max_batch_size,
        ...(config.dynamic_batching === undefined
          ? {}
          : {
              dynamic: {
                maxQueueDelayUs: config.dynamic_batching.max_queue_delay_us,
                preferredBatchSizes: config.dynamic_batching.preferred_batch_sizes,
              },
            }),
        maxQueueSize: config.queue.max_size,
        queueTimeoutUs: config.queue.timeout_us,
        priorityLevels: config.queue.priority_levels,
        defaultPriority: config.queue.default_priority,
        observer: this.#options.metrics.observer(this.model, this.version),
      });
      await this.#warmUp();
    } catch (error) {
      this.#enter('UNAVAILABLE', error instanceof Error ? error.message : String(error));
      await this.#release();
      throw error;
    }
    this.#enter('READY', '');
    logger.info(
      { model: this.model, version: this.version, ms: Math.round(performance.now() - started) },
      'model version ready',
    );
  }

  // Warm-up requests go through every instance before the version reports ready, so that the
  // first real request does not pay for lazy initialisation (ONNX Runtime allocations, JIT).
  async #warmUp(): Promise<void> {
    const warmup = this.config.warmup;
    if (warmup === undefined) return;
    const rows = this.config.max_batch_size > 0 ? Math.min(warmup.batch_size, this.config.max_batch_size) : 0;
    for (let i = 0; i < warmup.count; i++) {
      for (const instance of this.#instances) {
        await instance.execute({
          inputs: this.inputs.map((spec) => warmupTensor(spec, rows, warmup.data)),
          outputs: [],
          parameters: {},
        });
      }
    }
  }

  execute(request: BatchRequest): Promise<Tensor[]> {
    if (this.#batcher === undefined || this.#state !== 'READY') {
      return Promise.reject(
        new StrataError(
          'NOT_READY',
          `version ${String(this.version)} of model '${this.model}' is ${this.#state.toLowerCase()}`,
        ),
      );
    }
    return this.#batcher.submit(request);
  }

  /** Refuses new requests, lets queued and running ones finish, then frees the instances. */
  async unload(): Promise<void> {
    this.#enter('UNLOADING', '');
    await this.#batcher?.close();
    await this.#release();
    this.#enter('UNAVAILABLE', 'unloaded');
  }

  // The one place the state changes, so that every transition is reported exactly once.
  #enter(state: VersionState, reason: string): void {
    this.#state = state;
    this.#reason = reason;
    this.#options.onStateChange(this);
  }

  async #release(): Promise<void> {
    const instances = this.#instances;
    this.#instances = [];
    await Promise.allSettled(instances.map((i) => i.close()));
    const loaded = this.#loaded;
    this.#loaded = undefined;
    await loaded?.unload();
  }
}

function warmupTensor(spec: TensorSpec, rows: number, data: 'zero' | 'random'): Tensor {
  const shape = [...(rows > 0 ? [rows] : []), ...spec.shape.map((d) => (d === -1 ? 1 : d))];
  const count = shape.reduce((n, d) => n * d, 1);
  const values = allocate(spec.datatype, count);
  if (data === 'random') {
    for (let i = 0; i < count; i++) {
      if (Array.isArray(values)) values[i] = Math.random().toString(36).slice(2);
      else if (values instanceof BigInt64Array || values instanceof BigUint64Array)
        values[i] = BigInt(Math.floor(Math.random() * 100));
      else if (spec.datatype === 'BOOL' || spec.datatype === 'FP16') values[i] = Math.random() < 0.5 ? 0 : 1;
      else values[i] = Math.floor(Math.random() * 100);
    }
  }
  return { name: spec.name, datatype: spec.datatype, shape, data: values };
}
