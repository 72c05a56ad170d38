import { StrataError } from '../../kernel/index.js';
import { KERNEL_IP, KERNEL_L1, KERNEL_L2, type KernelCode } from '../engine/engine.js';
import type { Metric, SearchHit } from '../types.js';
import { AdcScanner } from './adc-scanner.js';
import {
  EngineFullVectors,
  rescoreCandidates,
  type FullVectors,
  type FullVectorsFactory,
} from '../quantization/full-vectors.js';
import { IvfIndex, type IvfOptions } from './ivf-index.js';
import { ProductQuantizer, defaultSubquantizers } from './product-quantizer.js';
import type { TopK } from './top-k.js';

export interface IvfPqIndexOptions extends IvfOptions {
  /** PQ subquantizers: bytes per code. Must divide the dimension. Default: d/2 or the nearest divisor below. */
  readonly m?: number;
  /**
   * Re-rank the best `k · oversampling` PQ candidates by exact distance from full vectors.
   * Default true. Without it only m bytes + the id are held per vector, and distances are estimates.
   */
  readonly rescore?: boolean;
  /** Candidates per result to rescore. Default 4. */
  readonly oversampling?: number;
  /**
   * Euclidean: precompute per-list terms of the ADC tables (nlist · m · 256 floats, skipped above
   * 64 MiB) so a probed list's table costs m · 256 additions instead of d · 256. Default true;
   * turn off for small indexes, where those tables outweigh the codes.
   */
  readonly precomputeTables?: boolean;
  /** Makes the store of full vectors for rescoring (DiskFullVectors: on disk); default in memory. */
  readonly fullVectors?: FullVectorsFactory;
}

/** At most this many bytes of precomputed L2 tables (nlist · m · ksub floats); above, tables are filled per list. */
const PRECOMPUTED_TABLE_BUDGET = 64 * 1024 * 1024;

/** The distance an ADC table holds per subspace (KERNEL_IP: −q·r; the list adds 1 − q·c). */
const tableKernel = {
  euclidean: KERNEL_L2,
  manhattan: KERNEL_L1,
  cosine: KERNEL_IP,
  dot: KERNEL_IP,
} as const satisfies Record<Metric, KernelCode>;

/**
 * IVF-PQ, the IVFADC scheme of Jégou, Douze & Schmid 2011 (§IV): each vector's residual from its
 * coarse centroid is product-quantized, so a list entry is m bytes of code plus its id. Encoding
 * the residual rather than the vector (§IV.A) spends the codebooks on the fine structure within
 * a cell, which all cells share. Optional exact rescoring reads full vectors for the best
 * candidates only, so they can stay on disk. `exact: true` probes every list and, with full
 * vectors, scores every candidate exactly; without them (`rescore: false`) it is an exhaustive
 * ADC scan, still approximate.
 */
export class IvfPqIndex extends IvfIndex {
  readonly kind = 'ivf_pq';
  readonly exact = false;
  readonly m: number;
  readonly rescore: boolean;
  readonly oversampling: number;
  private readonly full: FullVectors | undefined;
  private readonly precomputeTables: boolean;
  private pq: ProductQuantizer | undefined;
  /** The tables and list scans, in the engine, once trained. */
  private scanner: AdcScanner | undefined;
  private readonly residual: Float32Array;

  constructor(options: IvfPqIndexOptions) {
    const m = options.m ?? defaultSubquantizers(options.dimension);
    if (!Number.isInteger(m) || m < 1 || options.dimension % m !== 0 || m > 65536) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `m is ${m}; the number of PQ subquantizers must be a positive divisor of the dimension ${options.dimension}`,
        { details: { m, dimension: options.dimension } },
      );
    }
    super(options, m);
    this.m = m;
    this.rescore = options.rescore ?? true;
    this.oversampling = options.oversampling ?? 4;
    if (!(this.oversampling >= 1)) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `oversampling is ${this.oversampling}; it must be at least 1`,
      );
    }
    this.full = this.rescore
      ? (options.fullVectors?.(options.dimension, options.metric) ??
        new EngineFullVectors(options.dimension, options.metric, this.backend))
      : undefined;
    this.residual = new Float32Array(options.dimension);
    this.precomputeTables = options.precomputeTables ?? true;
  }

  /** Bytes per vector in the lists: m code bytes plus an 8-byte id (the id map and full vectors excluded). */
  get listBytesPerVector(): number {
    return this.m + 8;
  }

  protected trainCodes(sample: Float32Array, centroids: Float32Array, assignments: Int32Array): void {
    const d = this.dimension;
    const n = assignments.length;
    const residuals = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const c = (assignments[i] ?? 0) * d;
      for (let j = 0; j < d; j++) residuals[i * d + j] = (sample[i * d + j] ?? 0) - (centroids[c + j] ?? 0);
    }
    this.pq = ProductQuantizer.train(residuals, d, this.m, {
      seed: this.seed,
      iterations: this.iterations,
      sample: Math.min(n, this.trainingSize),
    });
    const terms =
      this.metric === 'euclidean' && this.precomputeTables ? this.listTerms(this.pq, centroids) : undefined;
    this.scanner = new AdcScanner(this.pq, tableKernel[this.metric], terms, this.backend);
  }

  /**
   * Precomputed tables for L2 (as in Faiss's IVFPQ): with x ≈ c + r and r the concatenated
   * sub-centroids, ‖q − c − r‖² = ‖q − c‖² + (‖r‖² + 2·c·r) − 2·q·r. The middle term depends on
   * the list only, the last on the query only, both decompose over subspaces, and ‖q − c‖² is
   * the distance already computed to rank the lists. Filling a list's table then costs m · ksub
   * additions instead of d · ksub: the win grows with d/m. Kept only within a memory budget,
   * since it costs nlist · m · ksub floats (held in the scanner's engine).
   */
  private listTerms(pq: ProductQuantizer, centroids: Float32Array): Float32Array | undefined {
    const { m, ksub, dsub, codebooks } = pq;
    if (this.nlist * m * ksub * 4 > PRECOMPUTED_TABLE_BUDGET) return undefined;
    const d = this.dimension;
    const terms = new Float32Array(this.nlist * m * ksub);
    for (let list = 0; list < this.nlist; list++) {
      for (let s = 0; s < m; s++) {
        for (let j = 0; j < ksub; j++) {
          let sum = 0;
          for (let t = 0; t < dsub; t++) {
            const r = codebooks[(s * ksub + j) * dsub + t] ?? 0;
            sum += r * r + 2 * (centroids[list * d + s * dsub + t] ?? 0) * r;
          }
          terms[(list * m + s) * ksub + j] = sum;
        }
      }
    }
    return terms;
  }

  private residualOf(vector: Float32Array, list: number): Float32Array {
    const d = this.dimension;
    const centroids = this.centroids ?? new Float32Array(0);
    for (let j = 0; j < d; j++) this.residual[j] = (vector[j] ?? 0) - (centroids[list * d + j] ?? 0);
    return this.residual;
  }

  protected encode(vector: Float32Array, list: number, codes: Uint8Array, at: number): void {
    this.pq?.encode(this.residualOf(vector, list), 0, codes, at);
  }

  protected override stored(id: number, vector: Float32Array): void {
    this.full?.set(id, vector);
  }

  protected override dropped(id: number): void {
    this.full?.delete(id);
  }

  protected prepare(query: Float32Array): void {
    this.full?.setQuery(query);
    this.scanner?.setQuery(query);
  }

  protected scanList(
    query: Float32Array,
    list: number,
    heap: TopK,
    allow: ((id: number) => boolean) | undefined,
    exact: boolean,
    centroidDistance: number,
  ): void {
    const scanner = this.scanner;
    if (scanner === undefined) return;
    const ids = this.lists.idsOf(list);
    const n = this.lists.sizeOf(list);
    const full = this.full;
    if (exact && full !== undefined) {
      for (let row = 0; row < n; row++) {
        const id = ids[row] ?? 0;
        if (allow !== undefined && !allow(id)) continue;
        const exactDistance = full.distance(id);
        if (exactDistance !== Infinity) heap.push(exactDistance, id);
      }
      return;
    }
    // For inner products q·(c + r) = q·c + q·r and for precomputed L2 ‖q − c‖² starts the sum
    // (see listTerms): the list's coarse distance is the base. Tables from the residual add none.
    const residual = scanner.residualTables;
    const distances = scanner.scan(
      this.lists.codesOf(list),
      n,
      list,
      residual ? 0 : centroidDistance,
      residual ? this.residualOf(query, list) : query,
    );
    // The filter runs only for codes that would enter the heap: most fall short of its bound.
    for (let row = 0; row < n; row++) {
      const dist = distances[row] ?? 0;
      if (dist >= heap.bound) continue;
      const id = ids[row] ?? 0;
      if (allow === undefined || allow(id)) heap.push(dist, id);
    }
  }

  protected override candidates(k: number): number {
    return this.rescore ? Math.ceil(k * this.oversampling) : k;
  }

  protected override finish(query: Float32Array, candidates: SearchHit[], k: number): SearchHit[] {
    const full = this.full;
    if (full === undefined) return candidates.slice(0, k);
    // prepare() gave the full vectors the query.
    return rescoreCandidates(full, candidates, k);
  }

  /** RAM only: lists, codebooks, the scanner's engine (tables, precomputed terms) and the full vectors' bytes in RAM (cached blocks, on disk). */
  override memoryBytes(): number {
    return (
      super.memoryBytes() +
      (this.pq?.memoryBytes() ?? 0) +
      (this.scanner?.bytes() ?? 0) +
      (this.full?.bytes() ?? 0) +
      (this.full?.idBytes() ?? 0)
    );
  }

  /** Gives back the full vectors' store (a disk store deletes its file); the index is unusable after. */
  close(): void {
    this.full?.close();
  }
}
