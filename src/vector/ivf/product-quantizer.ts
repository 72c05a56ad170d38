// Product quantization (Jégou, Douze & Schmid 2011, "Product quantization for nearest neighbor
// search", §II): a vector of d floats is cut into m subvectors of d/m floats; each is replaced by
// the index of its nearest centroid in that subspace's own codebook of ksub ≤ 256 centroids,
// trained by k-means. A code is m bytes. Distances to a query are estimated by asymmetric
// distance computation (ADC, §III.A): the query stays exact, and per subspace a table holds its
// distance to every centroid, so scoring a code costs m table look-ups and additions. The tables
// and scans run in the engine (wasm/pq.as, through ivf/adc-scanner.ts).
import { StrataError } from '../../kernel/index.js';
import { kmeans } from '../algorithms/kmeans.js';
import { NearestRows } from '../algorithms/nearest-rows.js';
import { KERNEL_L2 } from '../engine/engine.js';

/** Codes are bytes: at most 256 centroids per subspace. */
export const MAX_KSUB = 256;

export class ProductQuantizer {
  readonly dimension: number;
  readonly m: number;
  readonly dsub: number;
  /** Centroids per subspace: 256, or fewer when trained on fewer points. */
  readonly ksub: number;
  /** m codebooks of ksub × dsub floats, one after another. */
  readonly codebooks: Float32Array;
  /** The codebooks in an engine, one block per subspace, for encoding. */
  private readonly nearest: NearestRows;

  private constructor(dimension: number, m: number, ksub: number, codebooks: Float32Array) {
    this.dimension = dimension;
    this.m = m;
    this.dsub = dimension / m;
    this.ksub = ksub;
    this.codebooks = codebooks;
    this.nearest = new NearestRows(codebooks, this.dsub, KERNEL_L2, 'auto', m);
  }

  /** Trains m codebooks by k-means on the n × d rows of `data` (packed), or a seeded sample of them. */
  static train(
    data: Float32Array,
    d: number,
    m: number,
    options: { seed: number; iterations: number; sample?: number },
  ): ProductQuantizer {
    if (!Number.isInteger(m) || m < 1 || d % m !== 0) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `m is ${m}; the number of PQ subquantizers must divide the dimension ${d}`,
        { details: { m, dimension: d } },
      );
    }
    const n = Math.floor(data.length / d);
    const dsub = d / m;
    const ksub = Math.min(MAX_KSUB, n, options.sample ?? n);
    const codebooks = new Float32Array(m * ksub * dsub);
    const sub = new Float32Array(n * dsub);
    for (let s = 0; s < m; s++) {
      for (let i = 0; i < n; i++) sub.set(data.subarray(i * d + s * dsub, i * d + (s + 1) * dsub), i * dsub);
      // Each subspace gets its own seed so their k-means++ draws are independent.
      const result = kmeans(sub, dsub, {
        k: ksub,
        seed: options.seed + 7919 * (s + 1),
        maxIterations: options.iterations,
        ...(options.sample === undefined ? {} : { sample: options.sample }),
      });
      codebooks.set(result.centroids, s * ksub * dsub);
    }
    return new ProductQuantizer(d, m, ksub, codebooks);
  }

  /** Writes the m-byte code of the d floats at float offset `from` of `vector` at byte `at` of `out`. */
  encode(vector: Float32Array, from: number, out: Uint8Array, at: number): void {
    const { m, dsub, nearest } = this;
    for (let s = 0; s < m; s++) out[at + s] = nearest.nearest(vector, from + s * dsub, s);
  }

  /** Bytes held: the codebooks, and their copy in the encoding engine. */
  memoryBytes(): number {
    return this.codebooks.byteLength + this.nearest.bytes();
  }

  /** The reconstruction of a code: each subspace's centroid, concatenated. */
  decode(codes: Uint8Array, at: number, out = new Float32Array(this.dimension)): Float32Array {
    const { m, dsub, ksub, codebooks } = this;
    for (let s = 0; s < m; s++) {
      const c = codes[at + s] ?? 0;
      out.set(codebooks.subarray((s * ksub + c) * dsub, (s * ksub + c + 1) * dsub), s * dsub);
    }
    return out;
  }
}

/** The default m: the most subquantizers leaving at least 2 floats per subspace (1 for d < 4). */
export function defaultSubquantizers(d: number): number {
  for (let m = Math.floor(d / 2); m > 1; m--) if (d % m === 0) return m;
  return 1;
}
