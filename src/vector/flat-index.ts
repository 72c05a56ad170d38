import { createEngine } from './engine/select.js';
import type { Engine } from './engine/engine.js';
import { checkVector, kernelOf, rowBytes, writeVector } from './metric.js';
import { fillAllowMask } from './filter/id-mask.js';
import type { BackendChoice, Metric, SearchHit, SearchOptions, VectorIndex } from './types.js';

export interface FlatIndexOptions {
  readonly dimension: number;
  readonly metric: Metric;
  /** Rows to reserve up front; the memory grows by half again when full. */
  readonly capacity?: number;
  readonly backend?: BackendChoice;
}

// Memory: [query row | rows, rowBytes apart | result heap | allow mask, a byte per row]. Address 0
// is left unused.
const BASE = 16;

/**
 * Exact (flat) index: one WebAssembly call scans every row and keeps the top k in a heap.
 * It is the oracle for the approximate indexes. A delete moves the last row into the hole, so
 * memory is given back at once and the scan never meets a tombstone.
 */
export class FlatIndex implements VectorIndex {
  readonly kind = 'flat';
  readonly exact = true;
  readonly reclaim = 'immediate';
  readonly dimension: number;
  readonly metric: Metric;
  private readonly engine: Engine;
  private readonly stride: number;
  private readonly rows: number;
  private capacity = 0;
  private count = 0;
  private ids = new Float64Array(0);
  private readonly rowOf = new Map<number, number>();

  constructor(options: FlatIndexOptions) {
    this.dimension = options.dimension;
    this.metric = options.metric;
    this.engine = createEngine(options.backend ?? 'auto');
    this.stride = rowBytes(this.dimension);
    this.rows = BASE + this.stride;
    this.reserve(Math.max(options.capacity ?? 1024, 1), 0);
  }

  get backend(): Engine['backend'] {
    return this.engine.backend;
  }

  get size(): number {
    return this.count;
  }

  private heapAt(): number {
    return this.rows + this.capacity * this.stride;
  }

  private maskAt(k: number): number {
    return (this.heapAt() + 8 * (k + 1) + 15) & ~15;
  }

  private reserve(capacity: number, k: number): void {
    if (capacity > this.capacity) {
      const ids = new Float64Array(capacity);
      ids.set(this.ids.subarray(0, this.count));
      this.ids = ids;
      this.capacity = capacity;
    }
    this.engine.grow(this.maskAt(k) + this.capacity);
  }

  private floats(): Float32Array {
    return new Float32Array(this.engine.buffer());
  }

  upsert(id: number, vector: ArrayLike<number>): void {
    checkVector(vector, this.dimension, 'vector');
    let row = this.rowOf.get(id);
    if (row === undefined) {
      if (this.count === this.capacity) this.reserve(Math.ceil(this.capacity * 1.5), 0);
      row = this.count++;
      this.rowOf.set(id, row);
      this.ids[row] = id;
    }
    writeVector(this.floats(), (this.rows + row * this.stride) >> 2, vector, this.metric);
  }

  delete(id: number): boolean {
    const row = this.rowOf.get(id);
    if (row === undefined) return false;
    this.rowOf.delete(id);
    const last = --this.count;
    if (row !== last) {
      const bytes = new Uint8Array(this.engine.buffer());
      const from = this.rows + last * this.stride;
      bytes.copyWithin(this.rows + row * this.stride, from, from + this.stride);
      const moved = this.ids[last] ?? 0;
      this.ids[row] = moved;
      this.rowOf.set(moved, row);
    }
    return true;
  }

  has(id: number): boolean {
    return this.rowOf.has(id);
  }

  search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): SearchHit[] {
    checkVector(query, this.dimension, 'query');
    const want = Math.min(Math.max(Math.floor(k), 0), this.count);
    if (want === 0) return [];
    this.reserve(this.capacity, want);
    let mask = 0;
    if (options.filter !== undefined) {
      mask = this.maskAt(want);
      const space = {
        slots: this.count,
        slotOf: (id: number) => this.rowOf.get(id),
        idAt: (row: number) => this.ids[row],
      };
      if (fillAllowMask(new Uint8Array(this.engine.buffer(), mask, this.count), space, options.filter) === 0)
        return [];
    }
    writeVector(this.floats(), BASE >> 2, query, this.metric);
    const heap = this.heapAt();
    const n = this.engine.flatSearch(
      kernelOf[this.metric],
      BASE,
      this.rows,
      this.stride,
      this.count,
      this.dimension,
      want,
      heap,
      mask,
    );
    const buffer = this.engine.buffer();
    const f = new Float32Array(buffer, heap, 2 * n);
    const w = new Int32Array(buffer, heap, 2 * n);
    const hits: SearchHit[] = [];
    for (let i = 0; i < n; i++) {
      hits.push({ id: this.ids[w[2 * i + 1] ?? 0] ?? -1, distance: f[2 * i] ?? 0 });
    }
    return hits;
  }

  compact(): void {
    // Nothing to do: deletes refill their row at once.
  }

  memoryBytes(): number {
    // A Map entry costs roughly 40 bytes in V8 (key, value, hash chain); close enough for metrics.
    return this.engine.buffer().byteLength + this.ids.byteLength + this.rowOf.size * 40;
  }
}
