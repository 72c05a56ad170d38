import type { SlotSpace } from '../filter/id-mask.js';

/**
 * Which row of a FullVectors store holds which id: rows are handed out in order, a deleted id's
 * row is reused by the next new id, and a row never moves (so files and memories are written in
 * place). Shared by the store in an engine memory and the one in a file.
 *
 * Every rescored candidate looks its row up, after a graph walk has left the CPU caches cold, so
 * the lookup is a table read when it can be: ids are a collection's internal numbers, dense from
 * 0, and those index `#dense` (row + 1; 0 for none). The table grows while it stays within a few
 * times the ids held; any other id (large, negative, fractional) goes to `#sparse`. A cold Map
 * lookup is a hash and a probe through scattered entries; a table read is one cache miss.
 */
export class RowSlots {
  #ids: Float64Array;
  #used = 0;
  #size = 0;
  #dense = new Int32Array(1024);
  readonly #sparse = new Map<number, number>();
  readonly #free: number[] = [];

  constructor(capacity: number) {
    this.#ids = new Float64Array(Math.max(capacity, 1)).fill(-1);
  }

  /** Live ids. */
  get size(): number {
    return this.#size;
  }

  /** Rows handed out so far, live or free: the rows a scan walks. */
  get used(): number {
    return this.#used;
  }

  /** Rows there is room for before `claim` must grow the store. */
  get capacity(): number {
    return this.#ids.length;
  }

  has(id: number): boolean {
    return this.rowOf(id) !== undefined;
  }

  rowOf(id: number): number | undefined {
    const dense = id >= 0 && id < this.#dense.length ? (this.#dense[id] ?? 0) : 0;
    if (dense !== 0) return dense - 1;
    return this.#sparse.size === 0 ? undefined : this.#sparse.get(id);
  }

  idAt(row: number): number | undefined {
    const id = this.#ids[row] ?? -1;
    return id < 0 ? undefined : id;
  }

  /**
   * The row to write `id` to: its own, a freed one, or the next. When the rows run out, `grow` is
   * told the new capacity first (half as many again), to make room in the store.
   */
  claim(id: number, grow: (capacity: number) => void): number {
    const own = this.rowOf(id);
    if (own !== undefined) return own;
    let row = this.#free.pop();
    if (row === undefined) {
      if (this.#used === this.#ids.length) {
        const capacity = Math.ceil(this.#ids.length * 1.5);
        grow(capacity);
        const ids = new Float64Array(capacity).fill(-1);
        ids.set(this.#ids);
        this.#ids = ids;
      }
      row = this.#used++;
    }
    this.#ids[row] = id;
    if (this.#fitsDense(id)) this.#dense[id] = row + 1;
    else this.#sparse.set(id, row);
    this.#size++;
    return row;
  }

  // Whether `id` can index the dense table, growing it (by doubling) if that keeps it within four
  // times the ids held plus its first size.
  #fitsDense(id: number): boolean {
    if (!Number.isInteger(id) || id < 0) return false;
    if (id < this.#dense.length) return true;
    let length = this.#dense.length;
    while (length <= id) length *= 2;
    if (length > 4 * (this.#size + 1) + 1024) return false;
    const dense = new Int32Array(length);
    dense.set(this.#dense);
    this.#dense = dense;
    return true;
  }

  /** Bytes of RAM held: the row table, the ids by row, and about 40 a Map entry for sparse ids. */
  bytes(): number {
    return this.#dense.byteLength + this.#ids.byteLength + this.#sparse.size * 40;
  }

  /** Frees the row of `id` for reuse; false for an unknown id. */
  release(id: number): boolean {
    const row = this.rowOf(id);
    if (row === undefined) return false;
    if (id >= 0 && id < this.#dense.length && this.#dense[id] !== 0) this.#dense[id] = 0;
    else this.#sparse.delete(id);
    this.#size--;
    this.#ids[row] = -1;
    this.#free.push(row);
    return true;
  }

  /** Forgets every row. */
  clear(): void {
    this.#dense.fill(0);
    this.#sparse.clear();
    this.#size = 0;
    this.#free.length = 0;
    this.#ids.fill(-1);
    this.#used = 0;
  }

  /** The rows as slots, for allow masks and scans; a freed row is a slot without an id. */
  slots(): SlotSpace {
    return { slots: this.#used, slotOf: (id) => this.rowOf(id), idAt: (row) => this.idAt(row) };
  }
}
