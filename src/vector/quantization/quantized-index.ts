import { BUILD_BATCH, HnswIndex, type HnswIndexOptions } from '../hnsw-index.js';
import { checkVector, writeVector } from '../metric.js';
import { resolveBackend } from '../engine/select.js';
import type { Backend, Metric, SearchHit, SearchOptions, VectorIndex } from '../types.js';
import { trainBinary } from './binary.js';
import {
  EngineFullVectors,
  rescoreCandidates,
  scanFullVectors,
  type FullVectors,
  type FullVectorsFactory,
} from './full-vectors.js';
import { trainingPositions, type Quantizer } from './quantizer.js';
import { defaultQuantile, trainScalar } from './scalar.js';

/** Rows handed to the graph at a time when it is (re)built: 16 build batches. */
const BUILD_CHUNK = 16 * BUILD_BATCH;

/** Which codes the graph holds: int8 (Qdrant's `scalar`) or one bit per dimension (`binary`). */
export type Quantization =
  { readonly kind: 'int8'; readonly quantile?: number } | { readonly kind: 'binary' };

export interface QuantizedIndexOptions extends Omit<HnswIndexOptions, 'encoding'> {
  readonly quantization: Quantization;
  /**
   * Points held before the quantizer is trained on them and the graph built; until then a search
   * scans the full vectors exactly. Default 1024. `compact()` trains again on every live point.
   */
  readonly trainingPoints?: number;
  /** Defaults of QuantizationSearchParams for searches that name none. */
  readonly oversampling?: number;
  readonly rescore?: boolean;
  /** Where the full-precision vectors live (DiskFullVectors: on disk); in memory by default. */
  readonly fullVectors?: FullVectorsFactory;
}

/** Vector bytes of a quantized index: the codes the graph searches and the originals it rescores with. */
export interface VectorMemory {
  readonly codes: number;
  readonly originals: number;
}

/**
 * HNSW over quantized codes, with the full-precision vectors kept apart for rescoring (Qdrant's
 * quantization with `rescore`). The graph is built and walked over codes only, with the int8 or
 * Hamming kernels of wasm/codes.as, so the walk touches 4× (int8) or 32× (binary) fewer bytes per
 * distance; a search takes k × oversampling candidates from the codes and ranks them by their
 * exact distances to the query. Graph, deletes, growth and both backends are HnswIndex's.
 */
export class QuantizedHnswIndex implements VectorIndex {
  readonly kind = 'hnsw';
  readonly exact = false;
  readonly reclaim = 'compaction';
  readonly dimension: number;
  readonly metric: Metric;
  readonly quantization: Quantization;
  readonly backend: Backend;
  readonly #options: QuantizedIndexOptions;
  readonly #full: FullVectors;
  readonly #trainingPoints: number;
  readonly #query: Float32Array;
  #graph: HnswIndex | undefined;
  #quantizer: Quantizer | undefined;

  constructor(options: QuantizedIndexOptions) {
    this.#options = options;
    this.dimension = options.dimension;
    this.metric = options.metric;
    this.quantization = options.quantization;
    this.#full =
      options.fullVectors?.(options.dimension, options.metric) ??
      new EngineFullVectors(options.dimension, options.metric, options.backend ?? 'auto', options.capacity);
    this.#trainingPoints = Math.max(1, options.trainingPoints ?? 1024);
    this.#query = new Float32Array(options.dimension);
    this.backend = resolveBackend(options.backend ?? 'auto').backend;
  }

  get size(): number {
    return this.#full.size;
  }

  /** Whether the quantizer is trained and the graph holds codes (false while there are few points). */
  get trained(): boolean {
    return this.#graph !== undefined;
  }

  upsert(id: number, vector: ArrayLike<number>): void {
    checkVector(vector, this.dimension, 'vector');
    const row = new Float32Array(this.dimension);
    writeVector(row, 0, vector, this.metric);
    this.#full.set(id, row);
    if (this.#graph !== undefined) this.#graph.upsert(id, row);
    else if (this.#full.size >= this.#trainingPoints) this.#build();
  }

  /** Many upserts, in order; the ones that reach the graph go in as one HnswIndex.upsertMany. */
  upsertMany(ids: ArrayLike<number>, vectors: readonly ArrayLike<number>[]): void {
    for (const vector of vectors) checkVector(vector, this.dimension, 'vector');
    const graphIds: number[] = [];
    const graphRows: Float32Array[] = [];
    for (let i = 0; i < Math.min(ids.length, vectors.length); i++) {
      const id = ids[i] ?? -1;
      const row = new Float32Array(this.dimension);
      writeVector(row, 0, vectors[i] ?? [], this.metric);
      this.#full.set(id, row);
      if (this.#graph !== undefined) {
        graphIds.push(id);
        graphRows.push(row);
      } else if (this.#full.size >= this.#trainingPoints) this.#build();
    }
    this.#graph?.upsertMany(graphIds, graphRows);
  }

  delete(id: number): boolean {
    if (!this.#full.delete(id)) return false;
    this.#graph?.delete(id);
    return true;
  }

  has(id: number): boolean {
    return this.#full.has(id);
  }

  search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): SearchHit[] {
    checkVector(query, this.dimension, 'query');
    const want = Math.max(Math.floor(k), 0);
    if (want === 0 || this.#full.size === 0) return [];
    const q = this.#query;
    writeVector(q, 0, query, this.metric);
    const graph = this.#graph;
    const quantizer = this.#quantizer;
    const { trace } = options;
    if (graph === undefined || quantizer === undefined || options.exact === true) {
      return scanFullVectors(this.#full, q, want, options.filter, trace);
    }
    const { ignore = false, rescore = this.#options.rescore ?? true } = options.quantization ?? {};
    const oversampling = Math.max(1, options.quantization?.oversampling ?? this.#options.oversampling ?? 1);
    const ef = Math.max(options.ef ?? this.#options.ef ?? 64, want);
    const fetch = ignore ? ef : rescore ? Math.ceil(want * oversampling) : want;
    const candidates = graph.searchChecked(q, fetch, {
      ef: Math.max(ef, fetch),
      ...(options.filter === undefined ? {} : { filter: options.filter }),
      ...(trace === undefined ? {} : { trace }),
    });
    if (trace !== undefined) trace.vectors = this.quantization.kind;
    if (!rescore && !ignore) {
      return candidates.map((hit) => ({ id: hit.id, distance: quantizer.estimate(hit.distance) }));
    }
    if (trace !== undefined) {
      trace.rescored += candidates.length;
      trace.oversampling = ignore ? undefined : oversampling;
    }
    this.#full.setQuery(q);
    return rescoreCandidates(this.#full, candidates, want);
  }

  // Trains the quantizer on the live vectors and builds the graph over their codes, in row order.
  // Two passes over the rows rather than an array of them: on disk they need not fit in RAM.
  #build(): void {
    const count = this.#full.size;
    const positions = trainingPositions(count, this.dimension);
    const sample: Float32Array[] = [];
    let position = 0;
    for (const [, row] of this.#full.entries()) {
      if (positions[sample.length] === position++) sample.push(row.slice());
    }
    const { quantization } = this;
    const quantizer =
      quantization.kind === 'int8'
        ? trainScalar(sample, this.dimension, this.metric, quantization.quantile ?? defaultQuantile)
        : trainBinary(sample, this.dimension);
    const graph = new HnswIndex({
      ...this.#options,
      backend: this.backend,
      capacity: Math.max(count, this.#options.capacity ?? 1024),
      encoding: quantizer.encoding,
    });
    // In chunks of whole build batches: only a chunk of rows is held at a time (all of them may
    // not fit, on disk), and the same rows are always cut the same way, so the graph is too.
    let ids: number[] = [];
    let rows: Float32Array[] = [];
    for (const [id, row] of this.#full.entries()) {
      ids.push(id);
      rows.push(row.slice());
      if (ids.length === BUILD_CHUNK) {
        graph.upsertMany(ids, rows);
        ids = [];
        rows = [];
      }
    }
    graph.upsertMany(ids, rows);
    this.#quantizer = quantizer;
    this.#graph = graph;
  }

  /** Trains the quantizer again on the live vectors and rebuilds the graph without tombstones. */
  compact(): void {
    if (this.#graph === undefined) return;
    this.#build();
  }

  /**
   * Every stored (id, full-precision vector) in storage order, each valid until the next step: the
   * sequential read a snapshot wants from a store on disk, instead of one random read per point.
   */
  vectors(): IterableIterator<[number, Float32Array]> {
    return this.#full.entries();
  }

  /** A copy of the stored full-precision vector (normalised for cosine). */
  vector(id: number): Float32Array | undefined {
    return this.#full.get(id)?.slice();
  }

  vectorMemory(): VectorMemory {
    return { codes: this.#graph?.vectorBytes() ?? 0, originals: this.#full.bytes() };
  }

  /** RAM only: the graph and codes, the originals' bytes in RAM (cached blocks, on disk) and their ids. */
  memoryBytes(): number {
    return (this.#graph?.memoryBytes() ?? 0) + this.#full.bytes() + this.#full.idBytes();
  }

  /** Gives back the full vectors' store (a disk store deletes its file); the index is unusable after. */
  close(): void {
    this.#full.close();
  }
}
