import type { Engine, KernelCode } from '../engine/engine.js';
import { createEngine } from '../engine/select.js';
import { rowBytes } from '../metric.js';
import type { BackendChoice } from '../types.js';

// Memory: [unused | query row | blocks of rows, rowBytes apart | result heap, a pair per row].
const BASE = 16;

/**
 * A fixed table of rows held in an engine's linear memory, asked which rows are nearest a vector.
 * IVF asks it of every vector it adds, against its coarse centroids and then, per subspace,
 * against a PQ codebook; and of every query, for the lists to probe. One flatSearch call per
 * question scans the rows with the SIMD kernels instead of a TypeScript loop. The rows form
 * `blocks` of `rowsPerBlock` each (one block per PQ subspace), and a question names its block.
 */
export class NearestRows {
  readonly #engine: Engine;
  readonly #kernel: KernelCode;
  readonly #dim: number;
  readonly #stride: number;
  readonly #rowsPerBlock: number;
  readonly #heap: number;

  /** `rows`: blocks × rowsPerBlock rows of `dim` floats, packed. */
  constructor(rows: Float32Array, dim: number, kernel: KernelCode, backend: BackendChoice, blocks = 1) {
    this.#engine = createEngine(backend);
    this.#kernel = kernel;
    this.#dim = dim;
    this.#stride = rowBytes(dim);
    const total = Math.floor(rows.length / dim);
    this.#rowsPerBlock = Math.floor(total / blocks);
    this.#heap = BASE + (total + 1) * this.#stride;
    this.#engine.grow(this.#heap + 8 * Math.max(this.#rowsPerBlock, 2));
    const floats = new Float32Array(this.#engine.buffer());
    for (let r = 0; r < total; r++) {
      floats.set(rows.subarray(r * dim, (r + 1) * dim), (BASE + (r + 1) * this.#stride) >> 2);
    }
  }

  /** The row of `block` nearest the `dim` floats of `vector` from float offset `from`. */
  nearest(vector: Float32Array, from = 0, block = 0): number {
    this.#search(vector, from, block, 1, this.#kernel);
    return new Int32Array(this.#engine.buffer(), this.#heap + 4, 1)[0] ?? 0;
  }

  /**
   * The k rows of block 0 nearest `vector`, nearest first, and their distances by `kernel` (any
   * float kernel: IVF assigns vectors by L2 but ranks its lists for a query by the index's metric).
   */
  rank(vector: Float32Array, k: number, kernel: KernelCode): { rows: Int32Array; distances: Float32Array } {
    const n = this.#search(vector, 0, 0, k, kernel);
    const buffer = this.#engine.buffer();
    const ids = new Int32Array(buffer, this.#heap, 2 * n);
    const keys = new Float32Array(buffer, this.#heap, 2 * n);
    const rows = new Int32Array(n);
    const distances = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      rows[i] = ids[2 * i + 1] ?? 0;
      distances[i] = keys[2 * i] ?? 0;
    }
    return { rows, distances };
  }

  /** Leaves the k nearest rows of `block` in the heap as sorted (distance, row) pairs; returns how many. */
  #search(vector: Float32Array, from: number, block: number, k: number, kernel: KernelCode): number {
    const engine = this.#engine;
    new Float32Array(engine.buffer(), BASE, this.#dim).set(vector.subarray(from, from + this.#dim));
    const first = BASE + (1 + block * this.#rowsPerBlock) * this.#stride;
    return engine.flatSearch(
      kernel,
      BASE,
      first,
      this.#stride,
      this.#rowsPerBlock,
      this.#dim,
      Math.min(k, this.#rowsPerBlock),
      this.#heap,
      0,
    );
  }

  /** Bytes of linear memory held. */
  bytes(): number {
    return this.#engine.buffer().byteLength;
  }
}
