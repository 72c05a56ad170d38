import type { Engine, KernelCode } from '../engine/engine.js';
import { createEngine } from '../engine/select.js';
import { fillAllowMask, type SlotSpace } from '../filter/id-mask.js';
import { kernelOf, rowBytes } from '../metric.js';
import { RowSlots } from './row-slots.js';
import type { BackendChoice, Metric, SearchHit, SearchOptions, SearchTrace } from '../types.js';

/**
 * Where an approximate index keeps the full-precision vectors it rescores with: the quantized
 * HNSW index, IVF-PQ and the PCA wrapper. The codes never need them, only the few candidates of
 * each search do, which is what lets them move behind a page cache on disk (Qdrant's
 * `always_ram: false`) without touching the search: DiskFullVectors (disk-full-vectors.ts) is
 * that second implementation.
 */
export interface FullVectors {
  readonly dimension: number;
  readonly size: number;
  has(id: number): boolean;
  /** The stored row of `id` (a view valid until the next call on the store, or a copy), or undefined. */
  get(id: number): Float32Array | undefined;
  set(id: number, vector: Float32Array): void;
  delete(id: number): boolean;
  /** The rows as slots, for allow masks and scans; a freed row is a slot without an id. */
  slots(): SlotSpace;
  /**
   * Every live (id, row) pair, in row order. A row may be a view into a read buffer that the next
   * step reuses: copy what must outlive the step.
   */
  entries(): IterableIterator<[number, Float32Array]>;
  /** Bytes of RAM held for vectors (rows allocated, live or free; for a disk store, its cached blocks). */
  bytes(): number;
  /** Bytes of RAM for which id is in which row. */
  idBytes(): number;
  /** Makes `query` (already normalised for cosine) the one `distance` measures from. */
  setQuery(query: Float32Array): void;
  /**
   * The metric's distance from the query to the row of `id`, in the index's units (squared L2,
   * 1 - dot, L1), Infinity for an unknown id.
   */
  distance(id: number): number;
  /** Gives back what the store holds outside the JS heap (a disk store deletes its file); unusable after. */
  close(): void;
}

/** Makes the FullVectors of an index, given its dimension and metric (the index owns and closes it). */
export type FullVectorsFactory = (dimension: number, metric: Metric) => FullVectors;

/**
 * Exact k-NN over full vectors: every allowed row measured from `query` (already normalised for
 * cosine). What an approximate index answers `exact: true` with, and a quantized one before it
 * is trained.
 */
export function scanFullVectors(
  full: FullVectors,
  query: Float32Array,
  k: number,
  filter: SearchOptions['filter'],
  trace?: SearchTrace,
): SearchHit[] {
  const space = full.slots();
  const allowed = new Uint8Array(space.slots);
  if (fillAllowMask(allowed, space, filter) === 0) return [];
  const hits: SearchHit[] = [];
  full.setQuery(query);
  for (let row = 0; row < space.slots; row++) {
    const id = space.idAt(row);
    if (allowed[row] === 0 || id === undefined) continue;
    hits.push({ id, distance: full.distance(id) });
  }
  if (trace !== undefined) {
    trace.mode = 'scan';
    trace.scored += hits.length;
  }
  return hits.sort(byDistance).slice(0, k);
}

/**
 * The k nearest of an approximate index's candidates by their exact distances (the query already
 * given to `setQuery`): the rescoring step of the quantized index, IVF-PQ and the PCA wrapper.
 * A candidate the store does not hold is dropped.
 */
export function rescoreCandidates(
  full: FullVectors,
  candidates: readonly SearchHit[],
  k: number,
): SearchHit[] {
  const rescored: SearchHit[] = [];
  for (const hit of candidates) {
    const distance = full.distance(hit.id);
    if (distance !== Infinity) rescored.push({ id: hit.id, distance });
  }
  return rescored.sort(byDistance).slice(0, k);
}

/** Nearest first; equal distances by id, so results do not depend on storage order. */
function byDistance(a: SearchHit, b: SearchHit): number {
  return a.distance - b.distance || a.id - b.id;
}

/**
 * FullVectors in a linear memory of their own (an Engine: WebAssembly where it runs, the
 * TypeScript replay elsewhere), so that rescoring runs the same SIMD float32 kernels as an
 * unquantized index and returns the same distances, bit for bit, on both backends. The query's row
 * comes first; a deleted row is reused by the next insert.
 */
export class EngineFullVectors implements FullVectors {
  readonly #engine: Engine;
  readonly #kernel: KernelCode;
  readonly #rowBytes: number;
  readonly #rows: RowSlots;

  constructor(
    readonly dimension: number,
    metric: Metric,
    backend: BackendChoice,
    capacity = 1024,
  ) {
    this.#engine = createEngine(backend);
    this.#kernel = kernelOf[metric];
    this.#rowBytes = rowBytes(dimension);
    this.#rows = new RowSlots(capacity);
    this.#engine.grow(this.#at(this.#rows.capacity));
  }

  get size(): number {
    return this.#rows.size;
  }

  // Byte address of a row; QUERY is the query's.
  #at(row: number): number {
    return BASE + (row + 1) * this.#rowBytes;
  }

  has(id: number): boolean {
    return this.#rows.has(id);
  }

  get(id: number): Float32Array | undefined {
    const row = this.#rows.rowOf(id);
    if (row === undefined) return undefined;
    return new Float32Array(this.#engine.buffer(), this.#at(row), this.dimension);
  }

  set(id: number, vector: Float32Array): void {
    const row = this.#rows.claim(id, (capacity) => {
      this.#engine.grow(this.#at(capacity));
    });
    new Float32Array(this.#engine.buffer(), this.#at(row), this.dimension).set(
      vector.subarray(0, this.dimension),
    );
  }

  delete(id: number): boolean {
    return this.#rows.release(id);
  }

  /** Makes `query` (already normalised for cosine) the one `distance` measures from. */
  setQuery(query: Float32Array): void {
    new Float32Array(this.#engine.buffer(), BASE, this.dimension).set(query.subarray(0, this.dimension));
  }

  distance(id: number): number {
    const row = this.#rows.rowOf(id);
    if (row === undefined) return Infinity;
    return this.#engine.distance(this.#kernel, BASE, this.#at(row), this.dimension);
  }

  slots(): SlotSpace {
    return this.#rows.slots();
  }

  *entries(): IterableIterator<[number, Float32Array]> {
    for (let row = 0; row < this.#rows.used; row++) {
      const id = this.#rows.idAt(row);
      if (id !== undefined)
        yield [id, new Float32Array(this.#engine.buffer(), this.#at(row), this.dimension)];
    }
  }

  bytes(): number {
    return this.#rows.capacity * this.#rowBytes;
  }

  idBytes(): number {
    return this.#rows.bytes();
  }

  /** Nothing to give back: the memory goes with the store. */
  close(): void {
    return;
  }
}

// Address 0 stays unused, as in the index memories; rows start on a cache line.
const BASE = 64;
