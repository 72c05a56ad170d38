import type { Datatype } from './tensor.js';
import {
  modelNotInRepository,
  modelNotLoaded,
  type ChatTarget,
  type InferRequest,
  type InferResponse,
  type ModelMetadata,
  type ModelStateChange,
  type OpenAIModel,
  type RepositoryEntry,
  type ServingProcedures,
} from './procedures.js';

/** A watcher of state changes that also gets the tenants of the config the version was loaded from. */
export type TenantModelListener = (change: ModelStateChange, tenants: readonly string[]) => void;

/** What a tenant's view asks of the service behind it (ServingService). */
export interface TenantAwareServing extends ServingProcedures {
  /** watchModels, each change with its version's tenants. */
  watchModelsWithTenants(model: string | undefined, listener: TenantModelListener): () => void;
  /** A loaded model's tenants; undefined when it is not loaded. */
  modelTenants(model: string): readonly string[] | undefined;
  /** A repository model's tenants, loaded or not; undefined when the repository does not hold it. */
  repositoryTenants(model: string): Promise<readonly string[] | undefined>;
}

/**
 * The serving procedures as one tenant's callers see them (docs/decisions/0008): a model exists
 * for them only when its config lists their tenant (or `*`). Another tenant's model answers
 * exactly as a model that is not there — 404, not 403 — so its name does not leak through the
 * answer. (A model that is still loading answers NOT_READY to everyone until its config is in.)
 */
export class TenantServing implements ServingProcedures {
  constructor(
    private readonly service: TenantAwareServing,
    readonly tenant: string,
  ) {}

  forTenant(tenant: string): ServingProcedures {
    return this.service.forTenant(tenant);
  }

  infer(request: InferRequest): Promise<InferResponse> {
    this.#check(request.model);
    return this.service.infer(request);
  }

  serverReady(): boolean {
    return this.service.serverReady();
  }

  modelReady(model: string, version?: number): boolean {
    return !this.#hidden(model) && this.service.modelReady(model, version);
  }

  modelMetadata(model: string, version?: number): ModelMetadata {
    this.#check(model);
    return this.service.modelMetadata(model, version);
  }

  async repositoryIndex(options?: { readonly ready?: boolean }): Promise<RepositoryEntry[]> {
    const entries = await this.service.repositoryIndex(options);
    const visible = new Set<string>();
    for (const name of new Set(entries.map((entry) => entry.name))) {
      if (this.#serves(await this.service.repositoryTenants(name))) visible.add(name);
    }
    return entries.filter((entry) => visible.has(entry.name));
  }

  async load(model: string): Promise<void> {
    const tenants = await this.service.repositoryTenants(model);
    if (tenants !== undefined && !this.#serves(tenants)) throw modelNotInRepository(model);
    await this.service.load(model);
  }

  unload(model: string): Promise<void> {
    this.#check(model);
    return this.service.unload(model);
  }

  openaiModels(): OpenAIModel[] {
    return this.service.openaiModels().filter((model) => !this.#hidden(model.id));
  }

  embed(
    model: string,
    texts: readonly string[],
  ): Promise<{ embeddings: Float32Array[]; datatype: Datatype }> {
    this.#check(model);
    return this.service.embed(model, texts);
  }

  chatTarget(model: string): ChatTarget {
    this.#check(model);
    return this.service.chatTarget(model);
  }

  /**
   * A change is this tenant's when the config its version was loaded from lists the tenant (or
   * `*`). That config is read before any version exists, so even a first load's LOADING is
   * decided exactly, without asking the repository (which could answer after READY had passed);
   * during a reload that changes `tenants`, each instance is judged by its own config.
   */
  watchModels(model: string | undefined, listener: (change: ModelStateChange) => void): () => void {
    return this.service.watchModelsWithTenants(model, (change, tenants) => {
      if (this.#serves(tenants)) listener(change);
    });
  }

  #serves(tenants: readonly string[] | undefined): boolean {
    return tenants !== undefined && (tenants.includes(this.tenant) || tenants.includes('*'));
  }

  /** Loaded, and not this tenant's. */
  #hidden(model: string): boolean {
    const tenants = this.service.modelTenants(model);
    return tenants !== undefined && !this.#serves(tenants);
  }

  /** Throws as for a model that is not loaded when it is another tenant's. */
  #check(model: string): void {
    if (this.#hidden(model)) throw modelNotLoaded(model);
  }
}
