import type { Logger } from '../kernel/index.js';
import type { ModelConfig } from './model-config.js';
import type { Datatype, Tensor, TensorSpec } from './tensor.js';

/**
 * The model backend interface, version 1. A backend turns one loaded model version into
 * instances that execute a batch; queueing, batching, caching, retries and traffic policies stay
 * in the core (src/serving), so every backend gets them alike. Capabilities are fields, not
 * optional methods: the core reads them to decide what it may ask for.
 */
export const MODEL_BACKEND_API_VERSION = 1;

export interface BackendCapabilities {
  /** Whether one execute() may carry several requests' rows along dimension 0. */
  readonly batching: boolean;
  /** Datatypes the backend can take and return. */
  readonly datatypes: readonly Datatype[];
  /** Devices the backend can run on (`cuda` only where the runtime has the provider). */
  readonly devices: readonly ('cpu' | 'cuda')[];
  /** Whether the backend learns inputs and outputs from the model itself (ONNX does). */
  readonly describesModel: boolean;
}

/** One model version as the core hands it to a backend. */
export interface LoadRequest {
  readonly model: string;
  readonly version: number;
  /** The version's directory: `<repository>/<model>/<version>/`. */
  readonly directory: string;
  readonly config: ModelConfig;
  readonly logger: Logger;
  /** Reads a secret (an API key) by the environment variable name a config names. */
  readonly secrets: (name: string) => string | undefined;
}

export interface ExecuteRequest {
  /**
   * Inputs in the order of the model's declared inputs, batched along dimension 0 when batching.
   * The instance may take ownership of their buffers (transfer them to a worker thread): the
   * caller must not read them after execute().
   */
  readonly inputs: readonly Tensor[];
  /** Output names to return; every declared output when empty. */
  readonly outputs: readonly string[];
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** One concurrent executor of a loaded model: an ONNX session in a worker, a handler, a client. */
export interface ModelInstance {
  execute(request: ExecuteRequest): Promise<Tensor[]>;
  /** Releases everything the instance holds; called once, after its last execute settled. */
  close(): Promise<void>;
  /**
   * Executions the instance accepts at once; 1 when absent. With 2 the batcher may hand it a
   * batch that can no longer grow while the previous one still runs; the instance must queue it
   * and run it next (the ONNX backend: in its worker's port, so it starts without a round trip
   * through the event loop).
   */
  readonly depth?: number;
}

export interface LoadedModel {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Creates one more instance; the core calls it `instance_count` times. */
  createInstance(index: number): Promise<ModelInstance>;
  /** Releases what load() acquired beyond the instances. */
  unload(): Promise<void>;
}

export interface ModelBackend {
  readonly apiVersion: typeof MODEL_BACKEND_API_VERSION;
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  load(request: LoadRequest): Promise<LoadedModel>;
}
