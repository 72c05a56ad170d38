// Scalar (int8) quantization, as Qdrant's `scalar` with `type: int8`: one affine map for the whole
// collection, its range cut at the `quantile` of the values so that a few outliers do not spend the
// 255 levels (Qdrant's default 0.99 drops the 0.5% lowest and highest).
import { KERNEL_I8_IP, KERNEL_I8_L1, KERNEL_I8_L2 } from '../engine/engine.js';
import type { Metric } from '../types.js';
import { paddedRow, type Quantizer } from './quantizer.js';

export const defaultQuantile = 0.99;

/**
 * code = clamp(round((x - offset) / step), -127, 127), x ≈ offset + step * code.
 *
 * Euclidean and Manhattan take the offset at the middle of the range: it cancels in differences,
 * so squared L2 ≈ step² · Σ(c - c')² and L1 ≈ step · Σ|c - c'|. Dot and cosine keep offset 0
 * (a symmetric range): then <x, y> ≈ step² · <c, c'>, with no per-vector correction term to store.
 * -128 is left unused so that the range is symmetric about the offset.
 */
export class ScalarQuantizer implements Quantizer {
  readonly encoding;
  readonly #offset: number;
  readonly #step: number;
  readonly #metric: Metric;

  constructor(
    readonly dimension: number,
    metric: Metric,
    low: number,
    high: number,
  ) {
    this.#metric = metric;
    const symmetric = metric === 'cosine' || metric === 'dot';
    const half = symmetric ? Math.max(Math.abs(low), Math.abs(high)) : (high - low) / 2;
    this.#offset = symmetric ? 0 : (low + high) / 2;
    // A constant collection (half = 0) still needs a step; any positive one encodes it exactly.
    this.#step = half > 0 ? half / 127 : 1;
    const kernel = symmetric ? KERNEL_I8_IP : metric === 'euclidean' ? KERNEL_I8_L2 : KERNEL_I8_L1;
    const rowBytes = paddedRow(dimension);
    this.encoding = {
      kernel,
      rowBytes,
      // code() inlined with the fields in locals: every query goes through this loop.
      write: (buffer: ArrayBuffer, at: number, vector: ArrayLike<number>) => {
        const codes = new Int8Array(buffer, at, rowBytes);
        const offset = this.#offset;
        const step = this.#step;
        for (let i = 0; i < dimension; i++) {
          const code = Math.round(((vector[i] ?? 0) - offset) / step);
          codes[i] = code > 127 ? 127 : code < -127 ? -127 : code;
        }
        codes.fill(0, dimension);
      },
    } as const;
  }

  code(x: number): number {
    return Math.max(-127, Math.min(127, Math.round((x - this.#offset) / this.#step)));
  }

  estimate(raw: number): number {
    const step = this.#step;
    switch (this.#metric) {
      case 'cosine':
      case 'dot':
        return 1 + step * step * raw; // raw is -<c, c'>
      case 'euclidean':
        return step * step * raw;
      case 'manhattan':
        return step * raw;
    }
  }
}

/** The quantizer for these (already normalised, for cosine) rows, cut at `quantile`. */
export function trainScalar(
  rows: readonly Float32Array[],
  dimension: number,
  metric: Metric,
  quantile = defaultQuantile,
): ScalarQuantizer {
  const values = new Float32Array(rows.length * dimension);
  rows.forEach((row, i) => {
    values.set(row.subarray(0, dimension), i * dimension);
  });
  values.sort();
  if (values.length === 0) return new ScalarQuantizer(dimension, metric, -1, 1);
  const cut = (1 - quantile) / 2;
  const at = (q: number): number =>
    values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))] ?? 0;
  return new ScalarQuantizer(dimension, metric, at(cut), at(1 - cut));
}
