// PCA as a dimension reduction in front of any VectorIndex (issue 7): vectors are projected onto
// the top components of a model fitted on a sample, the inner index searches the shorter
// vectors, and the best `k · oversampling` candidates are rescored exactly from full vectors.
// An orthogonal projection keeps L2 geometry within the kept subspace, so the inner index ranks by
// L2 (cosine: on unit vectors, |x − y|² = 2 − 2·cos) or by inner product (dot).
import { StrataError } from '../../kernel/index.js';
import { pcaTransform, type PcaModel } from '../algorithms/pca.js';
import {
  EngineFullVectors,
  rescoreCandidates,
  scanFullVectors,
  type FullVectors,
  type FullVectorsFactory,
} from '../quantization/full-vectors.js';
import { checkVector, writeVector } from '../metric.js';
import type { Metric, SearchHit, SearchOptions, VectorIndex } from '../types.js';

export interface PcaIndexOptions {
  readonly metric: Metric;
  /** Fitted on a sample of this collection's vectors (normalised ones for cosine); see fitPca. */
  readonly model: PcaModel;
  /** Builds the index over the reduced vectors, given their dimension and the metric to rank by. */
  readonly inner: (dimension: number, metric: Metric) => VectorIndex;
  /**
   * Rescore candidates exactly from full vectors (default true). Required for manhattan, which a
   * rotation does not preserve: there the reduced space only proposes candidates.
   */
  readonly rescore?: boolean;
  /** Candidates per result to rescore. Default 4. */
  readonly oversampling?: number;
  /** Makes the store of full vectors for rescoring (DiskFullVectors: on disk); default in memory. */
  readonly fullVectors?: FullVectorsFactory;
}

export class PcaIndex implements VectorIndex {
  readonly exact = false;
  readonly dimension: number;
  readonly metric: Metric;
  readonly model: PcaModel;
  readonly oversampling: number;
  private readonly inner: VectorIndex;
  private readonly full: FullVectors | undefined;
  private readonly scratch: Float32Array;
  private readonly reduced: Float32Array;

  constructor(options: PcaIndexOptions) {
    const { model, metric } = options;
    this.dimension = model.dimension;
    this.metric = metric;
    this.model = model;
    this.oversampling = options.oversampling ?? 4;
    if (!(this.oversampling >= 1)) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `oversampling is ${this.oversampling}; it must be at least 1`,
      );
    }
    const rescore = options.rescore ?? true;
    if (!rescore && metric === 'manhattan') {
      throw new StrataError(
        'INVALID_ARGUMENT',
        'a PCA-reduced manhattan index needs rescore: true; PCA preserves L2 geometry, not L1',
      );
    }
    this.full = rescore
      ? (options.fullVectors?.(model.dimension, metric) ??
        new EngineFullVectors(model.dimension, metric, 'auto'))
      : undefined;
    this.inner = options.inner(model.components, metric === 'dot' ? 'dot' : 'euclidean');
    this.scratch = new Float32Array(model.dimension);
    this.reduced = new Float32Array(model.components);
  }

  get kind(): VectorIndex['kind'] {
    return this.inner.kind;
  }

  get backend(): VectorIndex['backend'] {
    return this.inner.backend;
  }

  get reclaim(): VectorIndex['reclaim'] {
    return this.inner.reclaim;
  }

  get size(): number {
    return this.inner.size;
  }

  upsert(id: number, vector: ArrayLike<number>): void {
    checkVector(vector, this.dimension, 'vector');
    writeVector(this.scratch, 0, vector, this.metric);
    this.inner.upsert(id, pcaTransform(this.model, this.scratch, this.reduced));
    this.full?.set(id, this.scratch);
  }

  /** Many upserts, in order, one at a time (the reduced graph is built serially). */
  upsertMany(ids: ArrayLike<number>, vectors: readonly ArrayLike<number>[]): void {
    for (const vector of vectors) checkVector(vector, this.dimension, 'vector');
    for (let i = 0; i < Math.min(ids.length, vectors.length); i++)
      this.upsert(ids[i] ?? -1, vectors[i] ?? []);
  }

  delete(id: number): boolean {
    this.full?.delete(id);
    return this.inner.delete(id);
  }

  has(id: number): boolean {
    return this.inner.has(id);
  }

  search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): SearchHit[] {
    checkVector(query, this.dimension, 'query');
    const want = Math.min(Math.max(Math.floor(k), 0), this.size);
    if (want === 0) return [];
    const q = this.scratch;
    writeVector(q, 0, query, this.metric);
    let shift = 0;
    if (this.metric === 'dot') {
      // q·x ≈ q·μ + (Bq)·(B(x − μ)): the query is projected without centring, and q·μ, the same
      // for every point, is added back so distances keep their meaning.
      const { mean, basis, components, dimension: d } = this.model;
      for (let c = 0; c < components; c++) {
        let sum = 0;
        for (let j = 0; j < d; j++) sum += (q[j] ?? 0) * (basis[c * d + j] ?? 0);
        this.reduced[c] = sum;
      }
      for (let j = 0; j < d; j++) shift -= (q[j] ?? 0) * (mean[j] ?? 0);
    } else {
      pcaTransform(this.model, q, this.reduced);
    }
    const full = this.full;
    // Exact means exact: the full vectors are scanned, not the reduced ones.
    if (options.exact === true && full !== undefined) {
      return scanFullVectors(full, q, want, options.filter, options.trace);
    }
    const candidates = this.inner.search(
      this.reduced,
      full === undefined ? want : Math.ceil(want * this.oversampling),
      options,
    );
    if (full === undefined) {
      // Cosine ranks unit vectors by L2 in the reduced space: 1 − cos = |x − y|² / 2.
      const scale = this.metric === 'cosine' ? 0.5 : 1;
      return candidates.map((hit) => ({ id: hit.id, distance: hit.distance * scale + shift }));
    }
    if (options.trace !== undefined) {
      options.trace.rescored += candidates.length;
      options.trace.oversampling = this.oversampling;
    }
    full.setQuery(q);
    return rescoreCandidates(full, candidates, want);
  }

  /** A copy of the stored full-precision vector (normalised for cosine); undefined without rescoring. */
  vector(id: number): Float32Array | undefined {
    return this.full?.get(id)?.slice();
  }

  compact(): void {
    this.inner.compact();
  }

  memoryBytes(): number {
    const model = this.model.mean.byteLength + this.model.basis.byteLength;
    return this.inner.memoryBytes() + (this.full?.bytes() ?? 0) + (this.full?.idBytes() ?? 0) + model;
  }

  /** Gives back the full vectors' store (a disk store deletes its file); the index is unusable after. */
  close(): void {
    this.full?.close();
  }
}
