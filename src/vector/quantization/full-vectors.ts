import type { SlotSpace } from '../filter/id-mask.js';

/**
 * Where a quantized index keeps the full-precision vectors it rescores with. The graph never reads
 * them, only the few candidates of each search do, which is what lets them move behind a page
 * cache on disk (Qdrant's `always_ram: false`) without touching the search: that store would be a
 * second implementation of this interface.
 */
export interface FullVectors {
  readonly dimension: number;
  readonly size: number;
  /** The stored row of `id` (a view, valid until the next write), or undefined. */
  get(id: number): Float32Array | undefined;
  set(id: number, vector: Float32Array): void;
  delete(id: number): boolean;
  /** The rows as slots, for allow masks and scans; a freed row is a slot without an id. */
  slots(): SlotSpace;
  /** Every live (id, row) pair, in row order. */
  entries(): IterableIterator<[number, Float32Array]>;
  /** Bytes held for vectors (rows allocated, live or free). */
  bytes(): number;
}

/** FullVectors in one growable Float32Array; a deleted row is reused by the next insert. */
export class MemoryFullVectors implements FullVectors {
  #rows: Float32Array;
  #ids: Float64Array;
  #used = 0;
  readonly #rowOf = new Map<number, number>();
  readonly #free: number[] = [];

  constructor(
    readonly dimension: number,
    capacity = 1024,
  ) {
    this.#rows = new Float32Array(Math.max(capacity, 1) * dimension);
    this.#ids = new Float64Array(Math.max(capacity, 1)).fill(-1);
  }

  get size(): number {
    return this.#rowOf.size;
  }

  get(id: number): Float32Array | undefined {
    const row = this.#rowOf.get(id);
    if (row === undefined) return undefined;
    return this.#rows.subarray(row * this.dimension, (row + 1) * this.dimension);
  }

  set(id: number, vector: Float32Array): void {
    let row = this.#rowOf.get(id) ?? this.#free.pop();
    if (row === undefined) {
      if (this.#used === this.#ids.length) this.#grow(Math.ceil(this.#ids.length * 1.5));
      row = this.#used++;
    }
    this.#rows.set(vector, row * this.dimension);
    this.#ids[row] = id;
    this.#rowOf.set(id, row);
  }

  delete(id: number): boolean {
    const row = this.#rowOf.get(id);
    if (row === undefined) return false;
    this.#rowOf.delete(id);
    this.#ids[row] = -1;
    this.#free.push(row);
    return true;
  }

  slots(): SlotSpace {
    return {
      slots: this.#used,
      slotOf: (id) => this.#rowOf.get(id),
      idAt: (row) => {
        const id = this.#ids[row] ?? -1;
        return id < 0 ? undefined : id;
      },
    };
  }

  *entries(): IterableIterator<[number, Float32Array]> {
    for (let row = 0; row < this.#used; row++) {
      const id = this.#ids[row] ?? -1;
      if (id >= 0) yield [id, this.#rows.subarray(row * this.dimension, (row + 1) * this.dimension)];
    }
  }

  bytes(): number {
    return this.#rows.byteLength;
  }

  #grow(capacity: number): void {
    const rows = new Float32Array(capacity * this.dimension);
    rows.set(this.#rows);
    this.#rows = rows;
    const ids = new Float64Array(capacity).fill(-1);
    ids.set(this.#ids);
    this.#ids = ids;
  }
}
