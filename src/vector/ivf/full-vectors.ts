/**
 * Where IVF-PQ reads full-precision vectors to rescore its best candidates. The seam exists so
 * the vectors can live on disk (read only for the few candidates of each search) while the PQ
 * codes stay in memory; MemoryFullVectors is the plain in-memory store.
 */
export interface FullVectors {
  readonly dimension: number;
  /** Stores (or replaces) the vector of id; `vector` is already normalised for cosine. */
  put(id: number, vector: Float32Array): void;
  remove(id: number): void;
  /** Copies the vector of id into `out`; false when id is unknown. */
  read(id: number, out: Float32Array): boolean;
  memoryBytes(): number;
}

/** Rows in one growable Float32Array; a removal moves the last row into the hole. */
export class MemoryFullVectors implements FullVectors {
  readonly dimension: number;
  private rows = new Float32Array(0);
  private ids = new Float64Array(0);
  private readonly rowOf = new Map<number, number>();

  constructor(dimension: number) {
    this.dimension = dimension;
  }

  put(id: number, vector: Float32Array): void {
    const d = this.dimension;
    let row = this.rowOf.get(id);
    if (row === undefined) {
      row = this.rowOf.size;
      if (row === this.ids.length) {
        const capacity = Math.max(16, Math.ceil(row * 1.5));
        const rows = new Float32Array(capacity * d);
        rows.set(this.rows);
        this.rows = rows;
        const ids = new Float64Array(capacity);
        ids.set(this.ids);
        this.ids = ids;
      }
      this.rowOf.set(id, row);
      this.ids[row] = id;
    }
    this.rows.set(vector.subarray(0, d), row * d);
  }

  remove(id: number): void {
    const row = this.rowOf.get(id);
    if (row === undefined) return;
    this.rowOf.delete(id);
    const last = this.rowOf.size;
    if (row === last) return;
    const d = this.dimension;
    this.rows.copyWithin(row * d, last * d, last * d + d);
    const moved = this.ids[last] ?? 0;
    this.ids[row] = moved;
    this.rowOf.set(moved, row);
  }

  read(id: number, out: Float32Array): boolean {
    const row = this.rowOf.get(id);
    if (row === undefined) return false;
    const d = this.dimension;
    out.set(this.rows.subarray(row * d, row * d + d));
    return true;
  }

  memoryBytes(): number {
    return this.rows.byteLength + this.ids.byteLength + this.rowOf.size * 40;
  }
}
