import type { Engine, KernelCode } from '../engine/engine.js';
import { createEngine } from '../engine/select.js';
import { rowBytes } from '../metric.js';
import type { BackendChoice } from '../types.js';

// Memory: [unused | query row | blocks of rows, rowBytes apart | result heap of one pair].
const BASE = 16;

/**
 * A fixed table of rows held in an engine's linear memory, asked one question: which row is
 * nearest this vector? IVF asks it of every vector it adds, against its coarse centroids and then,
 * per subspace, against a PQ codebook; one flatSearch call per question scans the rows with the
 * SIMD kernels instead of a TypeScript loop. The rows form `blocks` of `rowsPerBlock` each (one
 * block per PQ subspace), and a question names its block.
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
    this.#engine.grow(this.#heap + 16);
    const floats = new Float32Array(this.#engine.buffer());
    for (let r = 0; r < total; r++) {
      floats.set(rows.subarray(r * dim, (r + 1) * dim), (BASE + (r + 1) * this.#stride) >> 2);
    }
  }

  /** The row of `block` nearest the `dim` floats of `vector` from float offset `from`. */
  nearest(vector: Float32Array, from = 0, block = 0): number {
    const engine = this.#engine;
    new Float32Array(engine.buffer(), BASE, this.#dim).set(vector.subarray(from, from + this.#dim));
    const first = BASE + (1 + block * this.#rowsPerBlock) * this.#stride;
    engine.flatSearch(
      this.#kernel,
      BASE,
      first,
      this.#stride,
      this.#rowsPerBlock,
      this.#dim,
      1,
      this.#heap,
      0,
    );
    return new Int32Array(engine.buffer(), this.#heap + 4, 1)[0] ?? 0;
  }

  /** Bytes of linear memory held. */
  bytes(): number {
    return this.#engine.buffer().byteLength;
  }
}
