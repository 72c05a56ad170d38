// The inverted-file index shared by IVF-Flat and IVF-PQ (Jégou, Douze & Schmid 2011, "Product
// quantization for nearest neighbor search", §4 "Non-exhaustive search"): a coarse quantizer of
// nlist k-means centroids partitions the vectors; a query scans only the lists of its nprobe
// nearest centroids. Subclasses choose what a list holds per vector (its floats, or a PQ code).
import { StrataError } from '../../kernel/index.js';
import { kmeans } from '../algorithms/kmeans.js';
import { NearestRows } from '../algorithms/nearest-rows.js';
import { KERNEL_L2 } from '../engine/engine.js';
import { resolveBackend } from '../engine/select.js';
import { checkVector, kernelOf, writeVector } from '../metric.js';
import type {
  Backend,
  BackendChoice,
  IdFilter,
  Metric,
  SearchHit,
  SearchOptions,
  VectorIndex,
} from '../types.js';
import { rowDistance } from './distance.js';
import { InvertedLists } from './inverted-lists.js';
import { TopK } from './top-k.js';

export interface IvfOptions {
  readonly dimension: number;
  readonly metric: Metric;
  /** Lists of the coarse quantizer (k-means centroids). Default 64. */
  readonly nlist?: number;
  /** Lists a search probes unless SearchOptions.nprobe says otherwise. Default 8. */
  readonly nprobe?: number;
  /**
   * Before training the index holds raw vectors and answers by exact scan. It trains itself on
   * them once it holds this many (default 39 · nlist, the fewest points per centroid at which
   * k-means is stable), unless `train(sample)` was called first.
   */
  readonly trainingSize?: number;
  /** k-means iterations for the quantizers. Default 20. */
  readonly iterations?: number;
  /** Seed of the training RNG: same data and seed, same index. Default 1. */
  readonly seed?: number;
  /** The engine of the centroid searches and (IVF-PQ) the list scans. Default auto. */
  readonly backend?: BackendChoice;
}

function positiveInteger(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new StrataError('INVALID_ARGUMENT', `${name} is ${value}; it must be an integer in [1, ${max}]`, {
      details: { [name]: value },
    });
  }
  return value;
}

function allowOf(filter: IdFilter | undefined): ((id: number) => boolean) | undefined {
  if (filter === undefined || typeof filter === 'function') return filter;
  const ids = new Set(filter.ids);
  return (id) => ids.has(id);
}

export abstract class IvfIndex implements VectorIndex {
  abstract readonly kind: 'ivf_flat' | 'ivf_pq';
  abstract readonly exact: boolean;
  /**
   * Where the centroid searches run (assigning a vector to its list, ranking the lists for a
   * query; see NearestRows) and IVF-PQ's list scans (AdcScanner). IVF-Flat still scans its lists
   * in TypeScript over typed arrays.
   */
  readonly backend: Backend;
  readonly reclaim = 'immediate';
  readonly dimension: number;
  readonly metric: Metric;
  readonly nlist: number;
  readonly nprobe: number;
  readonly trainingSize: number;
  protected readonly iterations: number;
  protected readonly seed: number;
  /** nlist × dimension floats once trained. */
  protected centroids: Float32Array | undefined;
  /** The centroids again, in an engine: the nearest one to every add, the nearest lists to every query. */
  #coarse: NearestRows | undefined;
  /** Raw vectors (4 · dimension bytes each) held until training. */
  protected readonly pending: InvertedLists;
  protected lists: InvertedLists;
  /** The vector being written or the query being searched, normalised for cosine. */
  protected readonly scratch: Float32Array;
  protected readonly heap = new TopK();

  constructor(options: IvfOptions, codeBytes: number) {
    this.dimension = positiveInteger('dimension', options.dimension);
    this.metric = options.metric;
    this.nlist = positiveInteger('nlist', options.nlist ?? 64, 65536);
    this.nprobe = positiveInteger('nprobe', options.nprobe ?? Math.min(8, this.nlist), this.nlist);
    this.trainingSize = positiveInteger('trainingSize', options.trainingSize ?? 39 * this.nlist);
    if (this.trainingSize < this.nlist) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `trainingSize ${this.trainingSize} is below nlist ${this.nlist}; k-means needs a point per list — raise trainingSize or lower nlist`,
      );
    }
    this.iterations = positiveInteger('iterations', options.iterations ?? 20);
    this.seed = options.seed ?? 1;
    this.backend = resolveBackend(options.backend ?? 'auto').backend;
    this.pending = new InvertedLists(1, 4 * this.dimension);
    this.lists = new InvertedLists(this.nlist, codeBytes);
    this.scratch = new Float32Array(this.dimension);
  }

  get trained(): boolean {
    return this.centroids !== undefined;
  }

  get size(): number {
    return this.pending.size + this.lists.size;
  }

  has(id: number): boolean {
    return this.pending.has(id) || this.lists.has(id);
  }

  /**
   * Trains the quantizers on `sample` (at least nlist vectors) and moves any vectors held so far
   * into their lists. Training happens once: to retrain, build a new index and re-insert.
   */
  train(sample: readonly ArrayLike<number>[]): void {
    if (this.trained) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        'this IVF index is already trained; build a new index to retrain it',
      );
    }
    if (sample.length < this.nlist) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `train() got ${sample.length} vectors; the coarse quantizer needs at least nlist = ${this.nlist}`,
        { details: { sample: sample.length, nlist: this.nlist } },
      );
    }
    const d = this.dimension;
    const packed = new Float32Array(sample.length * d);
    sample.forEach((vector, i) => {
      checkVector(vector, d, `sample[${i}]`);
      writeVector(packed, i * d, vector, this.metric);
    });
    this.trainOn(packed);
  }

  private trainOn(packed: Float32Array): void {
    const d = this.dimension;
    // Spherical k-means for cosine keeps centroids unit-length, like the vectors they stand for.
    const coarse = kmeans(packed, d, {
      k: this.nlist,
      seed: this.seed,
      maxIterations: this.iterations,
      sample: this.trainingSize,
      spherical: this.metric === 'cosine',
    });
    this.trainCodes(packed, coarse.centroids, coarse.assignments);
    this.centroids = coarse.centroids;
    // Squared L2 for every metric: cosine vectors and centroids are unit-length, where it ranks
    // as the inner product does.
    this.#coarse = new NearestRows(coarse.centroids, d, KERNEL_L2, this.backend);
    const rows = new Float32Array(this.pending.codesOf(0).buffer);
    const ids = this.pending.idsOf(0);
    const n = this.pending.sizeOf(0);
    for (let row = 0; row < n; row++) {
      this.scratch.set(rows.subarray(row * d, row * d + d));
      this.insert(ids[row] ?? 0);
    }
    this.pending.clear();
  }

  /** Trains what the lists hold per vector, given the training vectors and their coarse lists. */
  protected abstract trainCodes(sample: Float32Array, centroids: Float32Array, assignments: Int32Array): void;

  /** Writes the code of `vector` (assigned to `list`) at byte `at` of `codes`. */
  protected abstract encode(vector: Float32Array, list: number, codes: Uint8Array, at: number): void;

  /** Called before scanning: per-query state (e.g. PQ tables that do not depend on the list). */
  protected abstract prepare(query: Float32Array): void;

  /**
   * Pushes every allowed entry of `list` into the heap with its (estimated) distance to `query`.
   * `centroidDistance`: the query's distance to the list's centroid by the index's metric.
   */
  protected abstract scanList(
    query: Float32Array,
    list: number,
    heap: TopK,
    allow: ((id: number) => boolean) | undefined,
    exact: boolean,
    centroidDistance: number,
  ): void;

  /** How many candidates to collect for k results (more when they will be rescored). */
  protected candidates(k: number): number {
    return k;
  }

  /** Turns the collected candidates into the final k hits (IVF-PQ rescores them here). */
  protected finish(query: Float32Array, candidates: SearchHit[], k: number): SearchHit[] {
    return candidates.slice(0, k);
  }

  /** Hook for subclasses that keep more per id (IVF-PQ's full vectors): the vector was stored under id. */
  protected stored(_id: number, _vector: Float32Array): void {
    // Nothing beyond the lists by default.
  }

  /** Hook: id was deleted. */
  protected dropped(_id: number): void {
    // Nothing beyond the lists by default.
  }

  /** Adds the vector in `scratch` under id to its list (trained index only). */
  private insert(id: number): void {
    const coarse = this.#coarse;
    if (coarse === undefined) return;
    const list = coarse.nearest(this.scratch);
    const at = this.lists.add(id, list);
    this.encode(this.scratch, list, this.lists.codesOf(list), at);
    this.stored(id, this.scratch);
  }

  upsert(id: number, vector: ArrayLike<number>): void {
    checkVector(vector, this.dimension, 'vector');
    writeVector(this.scratch, 0, vector, this.metric);
    if (this.trained) {
      this.insert(id);
      return;
    }
    const at = this.pending.add(id, 0);
    new Float32Array(this.pending.codesOf(0).buffer).set(this.scratch, at >> 2);
    if (this.pending.size >= this.trainingSize) {
      const n = this.pending.size;
      this.trainOn(new Float32Array(this.pending.codesOf(0).buffer, 0, n * this.dimension).slice());
    }
  }

  delete(id: number): boolean {
    const found = this.pending.remove(id) || this.lists.remove(id);
    if (found) this.dropped(id);
    return found;
  }

  /**
   * Probes the nprobe lists whose centroids are nearest the query (by the index's metric), then
   * further lists in the same order while fewer than k allowed hits were found, so a selective
   * filter or sparse lists still fill k. `exact` probes every list. Untrained: an exact scan.
   */
  search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): SearchHit[] {
    checkVector(query, this.dimension, 'query');
    const want = Math.min(Math.max(Math.floor(k), 0), this.size);
    if (want === 0) return [];
    const q = this.scratch;
    writeVector(q, 0, query, this.metric);
    const allow = allowOf(options.filter);
    const heap = this.heap;
    const coarse = this.#coarse;
    if (coarse === undefined) {
      heap.reset(want);
      this.scanPending(q, heap, allow);
      return heap.sorted();
    }
    const exact = options.exact === true;
    const nprobe = exact ? this.nlist : Math.min(options.nprobe ?? this.nprobe, this.nlist);
    const kernel = kernelOf[this.metric];
    const nearest = coarse.rank(q, nprobe, kernel);
    this.prepare(q);
    heap.reset(this.candidates(want));
    for (let i = 0; i < nprobe; i++) {
      this.scanList(q, nearest.rows[i] ?? 0, heap, allow, exact, nearest.distances[i] ?? 0);
    }
    if (heap.count < want && nprobe < this.nlist) {
      // Rare (a selective filter, sparse lists): rank every list and go on in that order. The
      // probed set, not a position, says what is done, should ties order the two rankings apart.
      const probed = new Set(nearest.rows);
      const all = coarse.rank(q, this.nlist, kernel);
      for (let i = 0; i < this.nlist && heap.count < want; i++) {
        const list = all.rows[i] ?? 0;
        if (!probed.has(list)) this.scanList(q, list, heap, allow, exact, all.distances[i] ?? 0);
      }
    }
    return this.finish(q, heap.sorted(), want);
  }

  private scanPending(q: Float32Array, heap: TopK, allow: ((id: number) => boolean) | undefined): void {
    const d = this.dimension;
    const distance = rowDistance[this.metric];
    const rows = new Float32Array(this.pending.codesOf(0).buffer);
    const ids = this.pending.idsOf(0);
    const n = this.pending.sizeOf(0);
    for (let row = 0; row < n; row++) {
      const id = ids[row] ?? 0;
      if (allow !== undefined && !allow(id)) continue;
      heap.push(distance(q, rows, row * d, d), id);
    }
  }

  compact(): void {
    this.pending.trim();
    this.lists.trim();
  }

  memoryBytes(): number {
    return (
      this.pending.memoryBytes() +
      this.lists.memoryBytes() +
      (this.centroids?.byteLength ?? 0) +
      (this.#coarse?.bytes() ?? 0)
    );
  }
}
