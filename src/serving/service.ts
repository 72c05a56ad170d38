import { StrataError, defaultTenant, isStrataError, type Lifecycle, type Logger } from '../kernel/index.js';
import type { ModelBackend } from './backend.js';
import { cacheKey, ResponseCache } from './cache.js';
import { readModelConfig, type BackendName, type ModelConfig } from './model-config.js';
import type { ServingMetrics } from './metrics.js';
import { ModelVersion } from './model-version.js';
import type {
  ChatTarget,
  InferRequest,
  InferResponse,
  ModelMetadata,
  ModelStateChange,
  OpenAIModel,
  RepositoryEntry,
  ServingProcedures,
} from './procedures.js';
import { modelNotInRepository, modelNotLoaded } from './procedures.js';
import { TenantServing, type TenantModelListener } from './tenant-view.js';
import { readModelDirectory, scanRepository, selectVersions } from './repository.js';
import { checkInputs, checkOutputNames, clientSpecs, outputsEqual } from './requests.js';
import type { Datatype, Tensor } from './tensor.js';
import { TrafficPolicy } from './traffic.js';
import { chatTarget, embed, openaiModels } from './openai-models.js';

export interface ServingServiceOptions {
  /** The model repository's root directory. */
  readonly repository: string;
  /** Models loaded at start: every model in the repository (`*`) or the names listed. */
  readonly startupModels: readonly string[];
  readonly backends: Readonly<Record<BackendName, ModelBackend>>;
  readonly logger: Logger;
  readonly metrics: ServingMetrics;
  readonly cacheBytes: number;
  readonly secrets: (name: string) => string | undefined;
}

interface LoadedModel {
  readonly name: string;
  readonly config: ModelConfig;
  readonly versions: ReadonlyMap<number, ModelVersion>;
  readonly traffic: TrafficPolicy;
  readonly loadedAt: number;
}

/**
 * Model serving: the repository, the loaded versions, and the request path (validation, traffic
 * policy, response cache, batcher, shadow copies). Load and unload are serialised per model, so
 * concurrent calls for one model apply in order while other models stay untouched.
 */
export class ServingService implements ServingProcedures, Lifecycle {
  readonly #options: ServingServiceOptions;
  readonly #models = new Map<string, LoadedModel>();
  readonly #operations = new Map<string, Promise<unknown>>();
  readonly #cache: ResponseCache;
  readonly #watchers = new Set<TenantModelListener>();
  /** Earlier instances a reload replaced with new instances of the same version numbers. */
  readonly #replaced = new WeakSet<ModelVersion>();
  #running = false;
  #stopping = false;

  constructor(options: ServingServiceOptions) {
    this.#options = options;
    this.#cache = new ResponseCache(options.cacheBytes);
  }

  async start(): Promise<void> {
    const { startupModels, repository, logger } = this.#options;
    const names = startupModels.includes('*')
      ? (await scanRepository(repository)).map((m) => m.name)
      : startupModels;
    // A model that fails to load is reported and left unavailable; the others still serve.
    const results = await Promise.allSettled(names.map((name) => this.load(name)));
    results.forEach((result, i) => {
      if (result.status === 'rejected')
        logger.error({ model: names[i], err: result.reason as unknown }, 'model failed to load at start');
    });
    this.#running = true;
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#stopping = true;
    // A load still running would otherwise finish after the unloads and keep its workers alive.
    await Promise.allSettled([...this.#operations.values()]);
    await Promise.allSettled([...this.#models.keys()].map((name) => this.unload(name)));
  }

  serverReady(): boolean {
    return this.#running;
  }

  /** These procedures as a caller of `tenant` sees them: only the models whose `tenants` list it. */
  forTenant(tenant: string): ServingProcedures {
    return new TenantServing(this, tenant);
  }

  /** The tenants a loaded model serves (its config's `tenants`); undefined when it is not loaded. */
  modelTenants(name: string): readonly string[] | undefined {
    return this.#models.get(name)?.config.tenants;
  }

  /**
   * The tenants of a model in the repository, loaded or not; undefined when the repository does
   * not hold it. A model whose config cannot be read belongs to the default tenant, whose
   * operators must mend it.
   */
  async repositoryTenants(name: string): Promise<readonly string[] | undefined> {
    const loaded = this.modelTenants(name);
    if (loaded !== undefined) return loaded;
    const found = await readModelDirectory(this.#options.repository, name);
    if (found === undefined) return undefined;
    return readModelConfig(found.directory).then(
      (config) => config.tenants,
      () => [defaultTenant],
    );
  }

  watchModels(model: string | undefined, listener: (change: ModelStateChange) => void): () => void {
    return this.watchModelsWithTenants(model, (change) => {
      listener(change);
    });
  }

  /** watchModels, each change with the tenants of the config its version was loaded from. */
  watchModelsWithTenants(model: string | undefined, listener: TenantModelListener): () => void {
    // A wrapper per call, so that the same listener watched twice is unsubscribed once per watch.
    const watcher: TenantModelListener = (change, tenants) => {
      if (model === undefined || change.model === model) listener(change, tenants);
    };
    this.#watchers.add(watcher);
    return () => {
      this.#watchers.delete(watcher);
    };
  }

  #stateChanged(version: ModelVersion): void {
    if (this.#replaced.has(version)) return;
    const change: ModelStateChange = Object.freeze({
      model: version.model,
      version: version.version,
      state: version.state,
      reason: version.reason,
    });
    for (const watcher of this.#watchers) {
      // A listener's failure is its own: the load or unload that reported the change goes on.
      try {
        watcher(change, version.config.tenants);
      } catch (error) {
        this.#options.logger.error(
          { err: error, model: change.model, version: change.version, state: change.state },
          'a model state listener threw; the change was still applied',
        );
      }
    }
  }

  // Runs `operation` after every earlier load or unload of the same model.
  #serialised<T>(model: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#operations.get(model) ?? Promise.resolve();
    // The entry goes before the caller resumes, so that "loading" ends exactly when load() returns.
    const next = previous.then(operation, operation).finally(() => {
      if (this.#operations.get(model) === tracked) this.#operations.delete(model);
    });
    const tracked: Promise<unknown> = next.then(
      () => undefined,
      () => undefined,
    );
    this.#operations.set(model, tracked);
    return next;
  }

  /**
   * Loads a model, or reloads it from disk: the config and files are read again and the versions
   * the policy selects are loaded afresh. The versions loaded before keep serving until the new
   * set is ready and only then retire; if the new set fails to load, they stay.
   */
  load(name: string): Promise<void> {
    return this.#serialised(name, async () => {
      if (this.#stopping)
        throw new StrataError('SHUTTING_DOWN', `Strata is stopping; model '${name}' was not loaded`);
      const found = await readModelDirectory(this.#options.repository, name);
      if (found === undefined) {
        throw modelNotInRepository(name);
      }
      const config = await readModelConfig(found.directory);
      const wanted = selectVersions(config.version_policy, found.versions);
      const missing =
        config.version_policy !== undefined && 'specific' in config.version_policy
          ? config.version_policy.specific.versions.filter((v) => !found.versions.includes(v))
          : [];
      if (wanted.length === 0 || missing.length > 0) {
        throw new StrataError(
          'NOT_FOUND',
          missing.length > 0
            ? `model '${name}' has no version ${missing.join(', ')} on disk (version_policy.specific)`
            : `model '${name}' has no version directories (${name}/1/, ${name}/2/, ...)`,
        );
      }
      // Every load builds fresh versions, so that a changed model file or handler takes effect;
      // the versions serving now keep serving until the new ones are ready.
      const current = this.#models.get(name);
      const versions = new Map<number, ModelVersion>();
      for (const v of wanted) {
        versions.set(
          v,
          new ModelVersion({
            model: name,
            version: v,
            directory: `${found.directory}/${String(v)}`,
            config,
            backend: this.#options.backends[config.backend],
            logger: this.#options.logger,
            metrics: this.#options.metrics,
            secrets: this.#options.secrets,
            onStateChange: (version) => {
              this.#stateChanged(version);
            },
          }),
        );
      }
      const fresh = [...versions.values()];
      const loads = await Promise.allSettled(fresh.map((v) => v.load()));
      const failed = loads.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) {
        await Promise.allSettled(fresh.filter((v) => v.ready).map((v) => v.unload()));
        // Watchers know a version by its number: the ones the earlier set still serves are READY again.
        for (const v of current?.versions.values() ?? []) if (versions.has(v.version)) this.#stateChanged(v);
        throw failed.reason;
      }
      this.#models.set(name, {
        name,
        config,
        versions,
        traffic: new TrafficPolicy(config.traffic),
        loadedAt: current?.loadedAt ?? Math.floor(Date.now() / 1000),
      });
      const retired = [...(current?.versions.values() ?? [])];
      for (const v of retired) if (versions.has(v.version)) this.#replaced.add(v);
      await Promise.allSettled(retired.map((v) => v.unload()));
      for (const v of retired) if (!versions.has(v.version)) this.#options.metrics.forget(name, v.version);
    });
  }

  /** Unloads every version; queued and running requests finish first. */
  unload(name: string): Promise<void> {
    return this.#serialised(name, async () => {
      const current = this.#models.get(name);
      if (current === undefined) {
        throw new StrataError('NOT_FOUND', `model '${name}' is not loaded`);
      }
      this.#models.delete(name);
      await Promise.allSettled([...current.versions.values()].map((v) => v.unload()));
      for (const v of current.versions.keys()) this.#options.metrics.forget(name, v);
    });
  }

  async repositoryIndex(options: { readonly ready?: boolean } = {}): Promise<RepositoryEntry[]> {
    const entries: RepositoryEntry[] = [];
    for (const found of await scanRepository(this.#options.repository)) {
      const loaded = this.#models.get(found.name);
      if (loaded === undefined) {
        entries.push(
          this.#operations.has(found.name)
            ? { name: found.name, state: 'LOADING', reason: 'loading' }
            : { name: found.name, state: 'UNAVAILABLE', reason: 'unloaded' },
        );
        continue;
      }
      for (const version of loaded.versions.values()) {
        entries.push({
          name: found.name,
          version: version.version,
          state: version.state,
          reason: version.reason,
        });
      }
    }
    return options.ready === true ? entries.filter((e) => e.state === 'READY') : entries;
  }

  #model(name: string): LoadedModel {
    const model = this.#models.get(name);
    if (model === undefined && this.#operations.has(name)) {
      throw new StrataError('NOT_READY', `model '${name}' is loading; retry shortly`, {
        details: { model: name, retryAfterSeconds: 1 },
      });
    }
    if (model === undefined) throw modelNotLoaded(name);
    return model;
  }

  #version(model: LoadedModel, version: number): ModelVersion {
    const found = model.versions.get(version);
    if (found === undefined) {
      throw new StrataError(
        'NOT_FOUND',
        `model '${model.name}' has no loaded version ${String(version)}; loaded: ${[...model.versions.keys()].join(', ')}`,
        { details: { model: model.name, version } },
      );
    }
    return found;
  }

  #latestReady(model: LoadedModel): ModelVersion | undefined {
    let best: ModelVersion | undefined;
    for (const v of model.versions.values())
      if (v.ready && (best === undefined || v.version > best.version)) best = v;
    return best;
  }

  modelReady(name: string, version?: number): boolean {
    const model = this.#models.get(name);
    if (model === undefined) return false;
    if (version === undefined) return this.#latestReady(model) !== undefined;
    return model.versions.get(version)?.ready === true;
  }

  modelMetadata(name: string, version?: number): ModelMetadata {
    const model = this.#model(name);
    const chosen = version === undefined ? this.#latestReady(model) : this.#version(model, version);
    if (chosen === undefined) throw new StrataError('NOT_READY', `model '${name}' has no ready version`);
    const batching = model.config.max_batch_size > 0;
    return {
      name,
      versions: [...model.versions.keys()].sort((a, b) => a - b),
      platform: model.config.backend,
      inputs: clientSpecs(chosen.inputs, batching),
      outputs: clientSpecs(chosen.outputs, batching),
    };
  }

  async infer(request: InferRequest): Promise<InferResponse> {
    const model = this.#model(request.model);
    const ready = (v: number): boolean => model.versions.get(v)?.ready === true;
    let version: ModelVersion;
    if (request.version !== undefined) version = this.#version(model, request.version);
    else {
      const chosen = model.traffic.choose({
        headers: request.headers ?? {},
        ready,
        latest: this.#latestReady(model)?.version,
      });
      if (chosen === undefined)
        throw new StrataError('NOT_READY', `model '${model.name}' has no ready version`);
      version = this.#version(model, chosen);
    }
    const batching = model.config.max_batch_size > 0;
    const inputs = checkInputs(request.inputs, version.inputs, batching, model.name);
    const outputs = request.outputs ?? [];
    checkOutputNames(outputs, version.outputs, model.name);
    const { priority, timeout, ...parameters } = request.parameters ?? {};
    const queue = queueParameters(priority, timeout);
    const labels = { model: model.name, version: String(version.version) };
    const key = model.config.response_cache.enabled
      ? cacheKey(model.name, version.generation, inputs, outputs, parameters)
      : undefined;
    if (key !== undefined) {
      const hit = this.#cache.get(key);
      this.#options.metrics.cache.inc({ ...labels, result: hit === undefined ? 'miss' : 'hit' });
      if (hit !== undefined) {
        this.#options.metrics.requests.inc({ ...labels, outcome: 'success' });
        return this.#response(request, version.version, hit, true);
      }
    }
    const shadow = model.traffic.shadowOf(version.version, ready);
    // The primary may hand its input buffers to a worker: the shadow gets its own copy first.
    const shadowInputs = shadow === undefined ? undefined : inputs.map(copyTensor);
    let result: Tensor[];
    try {
      result = await version.execute({
        inputs,
        outputs,
        parameters,
        ...queue,
      });
    } catch (error) {
      this.#recordOutcome(model, version.version, error);
      throw error;
    }
    this.#recordOutcome(model, version.version, undefined);
    // A backend may return more than was asked for (a handler ignoring context.outputs).
    if (outputs.length > 0) result = result.filter((o) => outputs.includes(o.name));
    if (key !== undefined) this.#cache.set(key, result);
    if (shadow !== undefined && shadowInputs !== undefined) {
      this.#mirror(model, shadow, { inputs: shadowInputs, outputs, parameters }, result);
    }
    return this.#response(request, version.version, result, false);
  }

  #response(
    request: InferRequest,
    version: number,
    outputs: readonly Tensor[],
    cached: boolean,
  ): InferResponse {
    return {
      model: request.model,
      version,
      ...(request.id === undefined ? {} : { id: request.id }),
      outputs,
      cached,
    };
  }

  #recordOutcome(model: LoadedModel, version: number, error: unknown): void {
    const labels = { model: model.name, version: String(version) };
    this.#options.metrics.requests.inc({ ...labels, outcome: error === undefined ? 'success' : 'failure' });
    const systemFailure = error !== undefined && (!isStrataError(error) || error.errorClass === 'system');
    if (model.traffic.record(version, systemFailure)) {
      this.#options.metrics.rollbacks.inc(labels);
      this.#options.logger.warn(
        { model: model.name, version },
        'canary error rate crossed rollback_error_rate; sending all traffic to the stable version',
      );
    }
  }

  // Shadow traffic: the copy runs after the primary answered and its result is only compared.
  #mirror(
    model: LoadedModel,
    version: number,
    request: { inputs: Tensor[]; outputs: readonly string[]; parameters: Readonly<Record<string, unknown>> },
    primary: readonly Tensor[],
  ): void {
    const target = model.versions.get(version);
    if (target === undefined) return;
    const labels = { model: model.name, version: String(version) };
    target.execute(request).then(
      (outputs) => {
        this.#options.metrics.shadow.inc({
          ...labels,
          result: outputsEqual(primary, outputs) ? 'match' : 'mismatch',
        });
      },
      (error: unknown) => {
        this.#options.metrics.shadow.inc({ ...labels, result: 'error' });
        this.#options.logger.debug({ model: model.name, version, err: error }, 'shadow request failed');
      },
    );
  }

  openaiModels(): OpenAIModel[] {
    return openaiModels(this.#models.values());
  }

  // Async, so that an unknown model is a rejection as every other failure of embed() is.
  async embed(
    name: string,
    texts: readonly string[],
  ): Promise<{ embeddings: Float32Array[]; datatype: Datatype }> {
    return embed(this.#model(name), texts, (request) => this.infer(request));
  }

  chatTarget(name: string): ChatTarget {
    return chatTarget(this.#model(name), this.#options.secrets);
  }

  get cacheBytes(): number {
    return this.#cache.bytes;
  }
}

// Triton's request parameters `priority` and `timeout` (µs) steer the queue; they are not passed
// to the model, so that requests differing only in them still batch together.
function queueParameters(priority: unknown, timeout: unknown): { priority?: number; timeoutUs?: number } {
  const result: { priority?: number; timeoutUs?: number } = {};
  if (priority !== undefined) {
    if (typeof priority !== 'number')
      throw new StrataError('INVALID_ARGUMENT', 'parameter priority must be an integer');
    result.priority = priority;
  }
  if (timeout !== undefined) {
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0)
      throw new StrataError(
        'INVALID_ARGUMENT',
        'parameter timeout must be a non-negative integer (microseconds)',
      );
    result.timeoutUs = timeout;
  }
  return result;
}

function copyTensor(tensor: Tensor): Tensor {
  return { ...tensor, shape: [...tensor.shape], data: tensor.data.slice() };
}
