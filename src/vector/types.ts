/** Distance functions a collection can use (Qdrant's Cosine, Dot, Euclid, Manhattan). */
export type Metric = 'cosine' | 'dot' | 'euclidean' | 'manhattan';

export const metrics: readonly Metric[] = ['cosine', 'dot', 'euclidean', 'manhattan'];

/**
 * Where the distance kernels and graph loops run: WebAssembly SIMD, or the pure-TypeScript
 * fallback that returns bit-identical results where WebAssembly SIMD is unavailable.
 */
export type Backend = 'wasm-simd' | 'js';

/** `auto` picks `wasm-simd` when the runtime validates a SIMD module, `js` otherwise. */
export type BackendChoice = Backend | 'auto';

/**
 * One result, nearest first. `distance` is smaller-is-closer: squared L2 for euclidean,
 * 1 - dot product for dot and cosine (cosine vectors are normalised on the way in), L1 for
 * manhattan. Turning it into a client-facing score is the collection's job.
 */
export interface SearchHit {
  readonly id: number;
  readonly distance: number;
}

/**
 * Which ids a search may return: a predicate, asked once per live point per search, or the ids
 * themselves (unknown ones are ignored), cheapest when a payload index already produced the set.
 * An index may keep the allow mask of an `ids` filter for the next search given the same object
 * (a batch sharing one filter): do not change the ids of a filter object once searched with.
 */
export type IdFilter = ((id: number) => boolean) | { readonly ids: Iterable<number> };

export interface SearchOptions {
  /** HNSW beam width on layer 0 (Qdrant's `hnsw_ef`); raised to k when smaller. Ignored by exact indexes. */
  readonly ef?: number;
  /**
   * Only ids the filter allows are returned. Approximate indexes still walk through the others,
   * so recall holds at any selectivity; choosing between that and `exact` is the planner's job.
   */
  readonly filter?: IdFilter;
  /** Scan every (allowed) point instead of walking the graph (Qdrant's `exact`); exact indexes always do. */
  readonly exact?: boolean;
  /**
   * IVF: how many inverted lists (those whose centroids are nearest the query) to scan; more
   * lists, higher recall, slower search; nlist is exhaustive. Defaults to the index's `nprobe`.
   * Ignored by other indexes.
   */
  readonly nprobe?: number;
  /** How a quantized index uses its codes (Qdrant's `params.quantization`); others ignore it. */
  readonly quantization?: QuantizationSearchParams;
  /** Filled in with what the search did (`explain`); HNSW indexes, plain and quantized, write it. */
  readonly trace?: SearchTrace;
}

/**
 * What one search did, for `explain` (docs/decisions/0015). An index writes it only when the
 * caller passes one, so a search without it does no extra work.
 */
export interface SearchTrace {
  /** `graph`: an HNSW walk; `scan`: every allowed point measured; `none`: nothing to search. */
  mode: 'graph' | 'scan' | 'none';
  /** The graph walk's beam width. */
  ef: number | undefined;
  /** What the walk or scan measured: full-precision vectors, or a quantizer's codes. */
  vectors: 'float32' | 'int8' | 'binary';
  /** Distances computed by the walk or the scan, counted in the engine (WASM and its replay alike). */
  scored: number;
  /** Candidates a quantized index re-ranked by their full-precision vectors (0: none). */
  rescored: number;
  /** The oversampling a quantized index fetched candidates with, when it rescored. */
  oversampling: number | undefined;
}

/** An empty trace, to pass as `SearchOptions.trace`. */
export function searchTrace(): SearchTrace {
  return { mode: 'none', ef: undefined, vectors: 'float32', scored: 0, rescored: 0, oversampling: undefined };
}

/** Qdrant's `QuantizationSearchParams`, in Strata's terms. */
export interface QuantizationSearchParams {
  /**
   * Rank by the full-precision vectors only. The graph of a quantized index links codes, so its
   * walk still reads them; the whole beam (ef candidates) is then rescored, not k × oversampling.
   */
  readonly ignore?: boolean;
  /** Rescore the candidates with the full-precision vectors (default true). */
  readonly rescore?: boolean;
  /** Candidates per requested hit taken from the codes before rescoring (default 1, at least 1). */
  readonly oversampling?: number;
}

/**
 * What every index offers (STYLE.md §3): one small interface, differences stated as fields.
 * Ids are non-negative safe integers; mapping UUIDs onto them belongs to the collection.
 */
export interface VectorIndex {
  readonly kind: 'flat' | 'hnsw' | 'ivf_flat' | 'ivf_pq';
  readonly dimension: number;
  readonly metric: Metric;
  readonly backend: Backend;
  /** Results are the true k nearest: usable as the oracle for approximate indexes. */
  readonly exact: boolean;
  /**
   * How deletes give memory back: `immediate` (the slot is refilled at once) or `compaction`
   * (tombstones stay as graph waypoints until `compact()` or the automatic threshold).
   */
  readonly reclaim: 'immediate' | 'compaction';
  /** Live points. */
  readonly size: number;
  /** Inserts or replaces the vector stored under id. */
  upsert(id: number, vector: ArrayLike<number>): void;
  /** Returns whether id was present. A deleted id is never returned by search. */
  delete(id: number): boolean;
  has(id: number): boolean;
  search(query: ArrayLike<number>, k: number, options?: SearchOptions): SearchHit[];
  /** Rebuilds storage without deleted points, giving their memory back. */
  compact(): void;
  /** Bytes held: the index's linear memory plus its id maps. */
  memoryBytes(): number;
}
