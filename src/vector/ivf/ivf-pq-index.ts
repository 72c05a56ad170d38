import { StrataError } from '../../kernel/index.js';
import type { Metric, SearchHit } from '../types.js';
import { rowDistance } from './distance.js';
import { MemoryFullVectors, type FullVectors } from './full-vectors.js';
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
  /** Where full vectors live when rescoring; default an in-memory store. */
  readonly fullVectors?: FullVectors;
}

const tableKind = {
  euclidean: 'l2',
  manhattan: 'l1',
  cosine: 'ip',
  dot: 'ip',
} as const satisfies Record<Metric, 'l2' | 'l1' | 'ip'>;

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
  private pq: ProductQuantizer | undefined;
  private readonly residual: Float32Array;
  private readonly row: Float32Array;
  private table = new Float32Array(0);

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
    this.full = this.rescore ? (options.fullVectors ?? new MemoryFullVectors(options.dimension)) : undefined;
    this.residual = new Float32Array(options.dimension);
    this.row = new Float32Array(options.dimension);
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
    this.table = new Float32Array(this.m * this.pq.ksub);
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
    this.full?.put(id, vector);
  }

  protected override dropped(id: number): void {
    this.full?.remove(id);
  }

  protected prepare(query: Float32Array): void {
    // For inner products q·(c + r) = q·c + q·r: the table for r does not depend on the list.
    if (tableKind[this.metric] === 'ip') this.pq?.fillTable('ip', query, this.table);
  }

  protected scanList(
    query: Float32Array,
    list: number,
    heap: TopK,
    allow: ((id: number) => boolean) | undefined,
    exact: boolean,
  ): void {
    const pq = this.pq;
    if (pq === undefined) return;
    const ids = this.lists.idsOf(list);
    const n = this.lists.sizeOf(list);
    const full = this.full;
    if (exact && full !== undefined) {
      const distance = rowDistance[this.metric];
      for (let row = 0; row < n; row++) {
        const id = ids[row] ?? 0;
        if (allow !== undefined && !allow(id)) continue;
        if (full.read(id, this.row)) heap.push(distance(query, this.row, 0, this.dimension), id);
      }
      return;
    }
    const kind = tableKind[this.metric];
    let base = 0;
    if (kind === 'ip')
      base = rowDistance.dot(
        query,
        this.centroids ?? new Float32Array(0),
        list * this.dimension,
        this.dimension,
      );
    else pq.fillTable(kind, this.residualOf(query, list), this.table);
    const { m, ksub } = pq;
    const table = this.table;
    const codes = this.lists.codesOf(list);
    for (let row = 0; row < n; row++) {
      const id = ids[row] ?? 0;
      if (allow !== undefined && !allow(id)) continue;
      let dist = base;
      const at = row * m;
      for (let s = 0; s < m; s++) dist += table[s * ksub + (codes[at + s] ?? 0)] ?? 0;
      if (dist < heap.bound) heap.push(dist, id);
    }
  }

  protected override candidates(k: number): number {
    return this.rescore ? Math.ceil(k * this.oversampling) : k;
  }

  protected override finish(query: Float32Array, candidates: SearchHit[], k: number): SearchHit[] {
    const full = this.full;
    if (full === undefined) return candidates.slice(0, k);
    const distance = rowDistance[this.metric];
    const rescored: SearchHit[] = [];
    for (const hit of candidates) {
      if (full.read(hit.id, this.row))
        rescored.push({ id: hit.id, distance: distance(query, this.row, 0, this.dimension) });
    }
    return rescored.sort((a, b) => a.distance - b.distance || a.id - b.id).slice(0, k);
  }

  override memoryBytes(): number {
    return super.memoryBytes() + (this.pq?.codebooks.byteLength ?? 0) + (this.full?.memoryBytes() ?? 0);
  }
}
