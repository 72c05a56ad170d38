import type { RowEncoding } from '../row-encoding.js';

/** A trained quantizer: how rows are encoded, and what a kernel result means in the metric's units. */
export interface Quantizer {
  readonly encoding: RowEncoding;
  /** The metric's distance (smaller is closer, as SearchHit) estimated from the kernel's result. */
  estimate(raw: number): number;
}

/** Most values a quantizer trains on; beyond it, rows are taken at an even stride. */
export const maxTrainingValues = 1 << 18;

/**
 * Rows to train on: all of them, or every n-th so that at most maxTrainingValues values are read.
 * The same rows in the same order give the same quantizer, so a rebuild is reproducible.
 */
export function trainingSample(rows: readonly Float32Array[], dimension: number): Float32Array[] {
  const most = Math.max(1, Math.floor(maxTrainingValues / Math.max(dimension, 1)));
  if (rows.length <= most) return [...rows];
  const stride = rows.length / most;
  return Array.from({ length: most }, (_, i) => rows[Math.floor(i * stride)] ?? new Float32Array(dimension));
}

/** Row bytes for `bytes` bytes of codes: padded with zeros to the v128 width. */
export function paddedRow(bytes: number): number {
  return Math.max(16, (bytes + 15) & ~15);
}
