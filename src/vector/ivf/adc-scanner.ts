import { KERNEL_IP, type Engine, type KernelCode } from '../engine/engine.js';
import { createEngine } from '../engine/select.js';
import { rowBytes } from '../metric.js';
import type { BackendChoice } from '../types.js';
import type { ProductQuantizer } from './product-quantizer.js';

// Memory: [unused | query or residual | codebooks | query table | list table | list terms |
// distances | codes of the list being scanned]. The last two grow with the largest list scanned.
const BASE = 16;

const aligned = (bytes: number): number => (bytes + 15) & ~15;

/**
 * IVF-PQ's ADC scans in an engine (wasm/pq.as): the tables are filled and the codes of a probed
 * list scored there, and only the distances come back for the top-k. The lists themselves stay in
 * InvertedLists' typed arrays, and a probed list's codes are copied in for its scan: a list is a
 * few KB (m bytes a vector), the copy is a memcpy beside m look-ups per code, and adds, deletes
 * and compaction stay as they are. Storing the lists in linear memory would save that copy but
 * needs an allocator for lists that grow and shrink.
 *
 * Three ways to get a list's table, by metric (see IvfPqIndex): cosine and dot share one query
 * table for every list (KERNEL_IP: −q·r; the list adds 1 − q·c as its base); Euclidean with
 * precomputed terms adds the list's terms to twice that table (base ‖q − c‖²); Euclidean without
 * them and Manhattan fill a table per list from the residual q − c (base 0).
 */
export class AdcScanner {
  readonly #engine: Engine;
  readonly #kernel: KernelCode;
  readonly #m: number;
  readonly #ksub: number;
  readonly #dsub: number;
  readonly #dim: number;
  readonly #codebooks: number;
  readonly #queryTable: number;
  readonly #listTable: number;
  /** Address of the precomputed list terms (nlist · m · ksub floats), or 0 without them. */
  readonly #terms: number;
  readonly #scratch: number;
  #capacity = 0;

  /**
   * `kernel`: the table's distance (KERNEL_L2, KERNEL_IP or KERNEL_L1). `terms`: Euclidean only,
   * per list ‖r‖² + 2·c·r for every sub-centroid r, copied into the engine.
   */
  constructor(
    pq: ProductQuantizer,
    kernel: KernelCode,
    terms: Float32Array | undefined,
    backend: BackendChoice,
  ) {
    this.#engine = createEngine(backend);
    this.#kernel = kernel;
    this.#m = pq.m;
    this.#ksub = pq.ksub;
    this.#dsub = pq.dsub;
    this.#dim = pq.dimension;
    const tableBytes = aligned(pq.m * pq.ksub * 4);
    this.#codebooks = BASE + rowBytes(pq.dimension);
    this.#queryTable = this.#codebooks + aligned(pq.codebooks.byteLength);
    this.#listTable = this.#queryTable + tableBytes;
    const termsAt = this.#listTable + tableBytes;
    this.#terms = terms === undefined ? 0 : termsAt;
    this.#scratch = termsAt + aligned(terms?.byteLength ?? 0);
    this.#engine.grow(this.#scratch);
    const floats = new Float32Array(this.#engine.buffer());
    // Transposed for pqTable: per subspace, coordinate t of every sub-centroid in a row.
    const { m, ksub, dsub, codebooks } = pq;
    for (let s = 0; s < m; s++)
      for (let j = 0; j < ksub; j++)
        for (let t = 0; t < dsub; t++)
          floats[(this.#codebooks >> 2) + (s * dsub + t) * ksub + j] =
            codebooks[(s * ksub + j) * dsub + t] ?? 0;
    if (terms !== undefined) floats.set(terms, this.#terms >> 2);
  }

  /** Whether each list needs its own table from the residual q − c (else one per query serves all). */
  get residualTables(): boolean {
    return this.#kernel !== KERNEL_IP && this.#terms === 0;
  }

  /** Per-query work: the −q·r table that cosine, dot and precomputed Euclidean lists build on. */
  setQuery(query: Float32Array): void {
    if (this.residualTables) return;
    this.#setTarget(query);
    this.#engine.pqTable(KERNEL_IP, BASE, this.#codebooks, this.#m, this.#ksub, this.#dsub, this.#queryTable);
  }

  /**
   * The ADC distances of the `rows` codes at the start of `codes` (list `list`), base added, valid
   * until the next call. `residual` (q − c) is read when `residualTables`, and ignored otherwise.
   */
  scan(codes: Uint8Array, rows: number, list: number, base: number, residual: Float32Array): Float32Array {
    const engine = this.#engine;
    const m = this.#m;
    const ksub = this.#ksub;
    let table = this.#queryTable;
    if (this.residualTables) {
      this.#setTarget(residual);
      engine.pqTable(this.#kernel, BASE, this.#codebooks, m, ksub, this.#dsub, this.#listTable);
      table = this.#listTable;
    } else if (this.#terms !== 0) {
      const terms = this.#terms + list * m * ksub * 4;
      engine.pqListTable(terms, this.#queryTable, m * ksub, this.#listTable);
      table = this.#listTable;
    }
    this.#reserve(rows);
    const distances = this.#scratch;
    const at = distances + aligned(this.#capacity * 4);
    new Uint8Array(engine.buffer(), at, rows * m).set(codes.subarray(0, rows * m));
    engine.pqScan(at, rows, m, ksub, table, base, distances);
    return new Float32Array(engine.buffer(), distances, rows);
  }

  #setTarget(vector: Float32Array): void {
    new Float32Array(this.#engine.buffer(), BASE, this.#dim).set(vector);
  }

  /** Makes the scratch hold `rows` distances and codes, growing by half again as lists grow. */
  #reserve(rows: number): void {
    if (rows <= this.#capacity) return;
    this.#capacity = Math.max(rows, Math.ceil(this.#capacity * 1.5));
    this.#engine.grow(this.#scratch + aligned(this.#capacity * 4) + this.#capacity * this.#m);
  }

  /** Bytes of linear memory held. */
  bytes(): number {
    return this.#engine.buffer().byteLength;
  }
}
