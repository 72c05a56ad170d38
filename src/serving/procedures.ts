import { StrataError } from '../kernel/index.js';
import type { Datatype, Tensor, TensorSpec } from './tensor.js';

/**
 * What transports call (REST Open Inference Protocol, OpenAI API, gRPC, GraphQL): plain data in
 * and out, errors as StrataError with stable codes. The adapters only translate wire formats.
 */
export interface InferRequest {
  readonly model: string;
  /** A version number; absent = the model's traffic policy (or its latest ready version) decides. */
  readonly version?: number;
  readonly id?: string;
  readonly inputs: readonly Tensor[];
  /** Output names to return, all declared outputs when absent or empty. */
  readonly outputs?: readonly string[];
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Request headers, lower-case names, for A/B routing by header. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

export interface InferResponse {
  readonly model: string;
  readonly version: number;
  readonly id?: string;
  readonly outputs: readonly Tensor[];
  /** Whether the response came from the response cache. */
  readonly cached: boolean;
}

export type VersionState = 'LOADING' | 'READY' | 'UNLOADING' | 'UNAVAILABLE';

/**
 * One transition of a loaded version's state. A reload builds new instances of the versions: they
 * report LOADING and then READY (or UNAVAILABLE) while the earlier ones keep serving; the earlier
 * ones' retirement is not reported for the version numbers the new set serves, which stay READY.
 * If the reload fails, each version the earlier set still serves is reported READY again.
 */
export interface ModelStateChange {
  readonly model: string;
  readonly version: number;
  readonly state: VersionState;
  /** Why a version is UNAVAILABLE: the load's error, or 'unloaded'; '' otherwise. */
  readonly reason: string;
}

export interface ModelMetadata {
  readonly name: string;
  readonly versions: readonly number[];
  readonly platform: string;
  /** Inputs and outputs as clients send them: with the batch dimension (-1) when the model batches. */
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

export interface RepositoryEntry {
  readonly name: string;
  readonly version?: number;
  readonly state: VersionState;
  readonly reason: string;
}

export interface OpenAIModel {
  readonly id: string;
  readonly created: number;
  readonly kinds: readonly ('embedding' | 'chat')[];
}

/** Where chat requests for a model go; the gateway forwards the body and streams the answer back. */
export interface ChatTarget {
  readonly url: string;
  readonly model: string;
  readonly apiKey: string | undefined;
  readonly timeoutMs: number;
}

export interface ServingProcedures {
  /** The same procedures as a caller of `tenant` sees them (docs/decisions/0008). */
  forTenant(tenant: string): ServingProcedures;
  infer(request: InferRequest): Promise<InferResponse>;
  serverReady(): boolean;
  modelReady(model: string, version?: number): boolean;
  modelMetadata(model: string, version?: number): ModelMetadata;
  repositoryIndex(options?: { readonly ready?: boolean }): Promise<RepositoryEntry[]>;
  load(model: string): Promise<void>;
  unload(model: string): Promise<void>;
  /** Models exposed through the OpenAI API. */
  openaiModels(): OpenAIModel[];
  /** Embeds each text with a model configured with `openai.embedding`. */
  embed(model: string, texts: readonly string[]): Promise<{ embeddings: Float32Array[]; datatype: Datatype }>;
  chatTarget(model: string): ChatTarget;
  /**
   * Calls `listener` with every state change of `model`'s versions (every model's when undefined)
   * that the caller's tenant may see, until the returned function is called. A load that fails
   * before any version exists (no such model, an invalid config) changes no state and reports
   * nothing; its caller gets the error.
   */
  watchModels(model: string | undefined, listener: (change: ModelStateChange) => void): () => void;
}

/** NOT_FOUND for a model that is not loaded, or that the caller's tenant may not see. */
export function modelNotLoaded(model: string): StrataError {
  return new StrataError(
    'NOT_FOUND',
    `model '${model}' is not loaded; load it with POST /v2/repository/models/${model}/load`,
    { details: { model } },
  );
}

/** NOT_FOUND for a model the repository does not hold, or that the caller's tenant may not see. */
export function modelNotInRepository(model: string): StrataError {
  return new StrataError('NOT_FOUND', `model '${model}' is not in the repository (no ${model}/config.yaml)`);
}
