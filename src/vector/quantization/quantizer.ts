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
 * Which of `count` rows to train on, as ascending positions: all of them, or every n-th so that
 * at most maxTrainingValues values are read. The same rows in the same order give the same
 * quantizer, so a rebuild is reproducible.
 */
export function trainingPositions(count: number, dimension: number): number[] {
  const most = Math.max(1, Math.floor(maxTrainingValues / Math.max(dimension, 1)));
  if (count <= most) return Array.from({ length: count }, (_, i) => i);
  const stride = count / most;
  return Array.from({ length: most }, (_, i) => Math.floor(i * stride));
}

/** Row bytes for `bytes` bytes of codes: padded with zeros to the v128 width. */
export function paddedRow(bytes: number): number {
  return Math.max(16, (bytes + 15) & ~15);
}
