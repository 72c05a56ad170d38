// Distances for IVF's TypeScript scans, with the meaning SearchHit gives them (smaller is closer):
// squared L2, 1 - dot (cosine vectors arrive normalised), L1. Accumulated in f64: IVF ranks
// candidates approximately anyway, and exact rescoring compares like with like.
import type { Metric } from '../types.js';

/** Distance between `query` and the row of d floats at float offset `at` of `rows`. */
export type RowDistance = (query: Float32Array, rows: Float32Array, at: number, d: number) => number;

function l2sq(query: Float32Array, rows: Float32Array, at: number, d: number): number {
  let sum = 0;
  for (let i = 0; i < d; i++) {
    const t = (query[i] ?? 0) - (rows[at + i] ?? 0);
    sum += t * t;
  }
  return sum;
}

function innerProduct(query: Float32Array, rows: Float32Array, at: number, d: number): number {
  let sum = 0;
  for (let i = 0; i < d; i++) sum += (query[i] ?? 0) * (rows[at + i] ?? 0);
  return 1 - sum;
}

function l1(query: Float32Array, rows: Float32Array, at: number, d: number): number {
  let sum = 0;
  for (let i = 0; i < d; i++) sum += Math.abs((query[i] ?? 0) - (rows[at + i] ?? 0));
  return sum;
}

export const rowDistance = {
  cosine: innerProduct,
  dot: innerProduct,
  euclidean: l2sq,
  manhattan: l1,
} as const satisfies Record<Metric, RowDistance>;
