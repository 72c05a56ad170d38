import { fillAllowMask } from '../filter/id-mask.js';
import { HnswIndex, type HnswIndexOptions } from '../hnsw-index.js';
import { checkVector, writeVector } from '../metric.js';
import { resolveBackend } from '../engine/select.js';
import type { Backend, Metric, SearchHit, SearchOptions, VectorIndex } from '../types.js';
import { trainBinary } from './binary.js';
import { EngineFullVectors, type FullVectors } from './full-vectors.js';
import { trainingSample, type Quantizer } from './quantizer.js';
import { defaultQuantile, trainScalar } from './scalar.js';

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
  /** Where the full-precision vectors live; in memory by default. */
  readonly fullVectors?: FullVectors;
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
      options.fullVectors ??
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
    return this.#full.get(id) !== undefined;
  }

  search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): SearchHit[] {
    checkVector(query, this.dimension, 'query');
    const want = Math.max(Math.floor(k), 0);
    if (want === 0 || this.#full.size === 0) return [];
    const q = this.#query;
    writeVector(q, 0, query, this.metric);
    const graph = this.#graph;
    const quantizer = this.#quantizer;
    if (graph === undefined || quantizer === undefined || options.exact === true) {
      return this.#scan(q, want, options.filter);
    }
    const { ignore = false, rescore = this.#options.rescore ?? true } = options.quantization ?? {};
    const oversampling = Math.max(1, options.quantization?.oversampling ?? this.#options.oversampling ?? 1);
    const ef = Math.max(options.ef ?? this.#options.ef ?? 64, want);
    const fetch = ignore ? ef : rescore ? Math.ceil(want * oversampling) : want;
    const candidates = graph.search(q, fetch, {
      ef: Math.max(ef, fetch),
      ...(options.filter === undefined ? {} : { filter: options.filter }),
    });
    if (!rescore && !ignore) {
      return candidates.map((hit) => ({ id: hit.id, distance: quantizer.estimate(hit.distance) }));
    }
    this.#full.setQuery(q);
    const exact = candidates.map((hit) => ({ id: hit.id, distance: this.#full.distance(hit.id) }));
    return exact.sort(byDistance).slice(0, want);
  }

  // Exact k-NN over the full vectors: before training, for `exact`, and as the tests' reference.
  #scan(q: Float32Array, k: number, filter: SearchOptions['filter']): SearchHit[] {
    const space = this.#full.slots();
    const allowed = new Uint8Array(space.slots);
    if (fillAllowMask(allowed, space, filter) === 0) return [];
    const hits: SearchHit[] = [];
    this.#full.setQuery(q);
    for (let row = 0; row < space.slots; row++) {
      const id = space.idAt(row);
      if (allowed[row] === 0 || id === undefined) continue;
      hits.push({ id, distance: this.#full.distance(id) });
    }
    return hits.sort(byDistance).slice(0, k);
  }

  // Trains the quantizer on the live vectors and builds the graph over their codes, in row order.
  #build(): void {
    const rows = [...this.#full.entries()];
    const sample = trainingSample(
      rows.map(([, row]) => row),
      this.dimension,
    );
    const { quantization } = this;
    const quantizer =
      quantization.kind === 'int8'
        ? trainScalar(sample, this.dimension, this.metric, quantization.quantile ?? defaultQuantile)
        : trainBinary(sample, this.dimension);
    const graph = new HnswIndex({
      ...this.#options,
      backend: this.backend,
      capacity: Math.max(rows.length, this.#options.capacity ?? 1024),
      encoding: quantizer.encoding,
    });
    graph.upsertMany(
      rows.map(([id]) => id),
      rows.map(([, row]) => row),
    );
    this.#quantizer = quantizer;
    this.#graph = graph;
  }

  /** Trains the quantizer again on the live vectors and rebuilds the graph without tombstones. */
  compact(): void {
    if (this.#graph === undefined) return;
    this.#build();
  }

  /** A copy of the stored full-precision vector (normalised for cosine). */
  vector(id: number): Float32Array | undefined {
    return this.#full.get(id)?.slice();
  }

  vectorMemory(): VectorMemory {
    return { codes: this.#graph?.vectorBytes() ?? 0, originals: this.#full.bytes() };
  }

  memoryBytes(): number {
    return (this.#graph?.memoryBytes() ?? 0) + this.#full.bytes() + this.#full.size * 40;
  }
}

function byDistance(a: SearchHit, b: SearchHit): number {
  return a.distance - b.distance || a.id - b.id;
}
