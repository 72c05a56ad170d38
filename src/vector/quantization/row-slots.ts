import type { SlotSpace } from '../filter/id-mask.js';

/**
 * Which row of a FullVectors store holds which id: rows are handed out in order, a deleted id's
 * row is reused by the next new id, and a row never moves (so files and memories are written in
 * place). Shared by the store in an engine memory and the one in a file.
 */
export class RowSlots {
  #ids: Float64Array;
  #used = 0;
  readonly #rowOf = new Map<number, number>();
  readonly #free: number[] = [];

  constructor(capacity: number) {
    this.#ids = new Float64Array(Math.max(capacity, 1)).fill(-1);
  }

  /** Live ids. */
  get size(): number {
    return this.#rowOf.size;
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
    return this.#rowOf.has(id);
  }

  rowOf(id: number): number | undefined {
    return this.#rowOf.get(id);
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
    let row = this.#rowOf.get(id) ?? this.#free.pop();
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
    this.#rowOf.set(id, row);
    return row;
  }

  /** Frees the row of `id` for reuse; false for an unknown id. */
  release(id: number): boolean {
    const row = this.#rowOf.get(id);
    if (row === undefined) return false;
    this.#rowOf.delete(id);
    this.#ids[row] = -1;
    this.#free.push(row);
    return true;
  }

  /** Forgets every row. */
  clear(): void {
    this.#rowOf.clear();
    this.#free.length = 0;
    this.#ids.fill(-1);
    this.#used = 0;
  }

  /** The rows as slots, for allow masks and scans; a freed row is a slot without an id. */
  slots(): SlotSpace {
    return { slots: this.#used, slotOf: (id) => this.#rowOf.get(id), idAt: (row) => this.idAt(row) };
  }
}
