// Binary quantization, as Qdrant's `binary`: one bit per dimension, set where the component is
// above that dimension's mean. Centering first matters for data that is not zero-mean (most
// embeddings have a common offset), where raw signs would set the same bits on every vector.
// The Hamming distance between two codes counts the hyperplanes through the mean that separate
// them, which estimates their angle about it (Charikar's SimHash); rescoring with the full vectors
// fixes the order, so the estimate only has to keep the true neighbours among the candidates.
import { KERNEL_HAMMING } from '../engine/engine.js';
import { paddedRow, type Quantizer } from './quantizer.js';

export class BinaryQuantizer implements Quantizer {
  readonly encoding;

  constructor(
    readonly dimension: number,
    readonly mean: Float32Array,
  ) {
    const rowBytes = paddedRow(Math.ceil(dimension / 8));
    this.encoding = {
      kernel: KERNEL_HAMMING,
      rowBytes,
      write: (buffer: ArrayBuffer, at: number, vector: ArrayLike<number>) => {
        const bits = new Uint8Array(buffer, at, rowBytes);
        bits.fill(0);
        for (let i = 0; i < dimension; i++) {
          if ((vector[i] ?? 0) > (mean[i] ?? 0)) bits[i >> 3] = (bits[i >> 3] ?? 0) | (1 << (i & 7));
        }
      },
    } as const;
  }

  /**
   * 1 - cos(π · h / dim), the cosine distance the Hamming distance h estimates. Only a ranking for
   * euclidean and manhattan: rescoring (on by default) returns their true distances.
   */
  estimate(raw: number): number {
    return 1 - Math.cos((Math.PI * raw) / this.dimension);
  }
}

/** The quantizer for these rows: the mean of each dimension. */
export function trainBinary(rows: readonly Float32Array[], dimension: number): BinaryQuantizer {
  const sum = new Float64Array(dimension);
  for (const row of rows) for (let i = 0; i < dimension; i++) sum[i] = (sum[i] ?? 0) + (row[i] ?? 0);
  const n = Math.max(rows.length, 1);
  return new BinaryQuantizer(
    dimension,
    Float32Array.from(sum, (s) => s / n),
  );
}
