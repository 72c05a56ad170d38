import { StrataError } from '../kernel/index.js';
import { KERNEL_IP, KERNEL_L1, KERNEL_L2, type KernelCode } from './engine/engine.js';
import type { Metric } from './types.js';

/** Cosine is the inner product of normalised vectors, so it shares dot's kernel. */
export const kernelOf = {
  cosine: KERNEL_IP,
  dot: KERNEL_IP,
  euclidean: KERNEL_L2,
  manhattan: KERNEL_L1,
} as const satisfies Record<Metric, KernelCode>;

/** Bytes a row of `dim` floats takes when padded to 16, the v128 alignment. */
export function rowBytes(dim: number): number {
  return (dim * 4 + 15) & ~15;
}

/** Rejects a wrong dimension or a NaN/Infinity component, which would poison every distance. */
export function checkVector(vector: ArrayLike<number>, dimension: number, what: string): void {
  if (vector.length !== dimension) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `${what} has ${vector.length} dimensions; this index expects ${dimension}`,
      { details: { expected: dimension, got: vector.length } },
    );
  }
  for (let i = 0; i < dimension; i++) {
    if (!Number.isFinite(vector[i])) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `${what}[${i}] is ${vector[i]}; components must be finite numbers`,
        {
          details: { index: i },
        },
      );
    }
  }
}

/**
 * Writes `vector` as f32 at float offset `at` of `view`, normalised to unit length for cosine
 * (a zero vector stays zero: its distance to everything is 1). Vectors are float32: each component
 * is rounded to f32 first, as Qdrant does on input, so a vector sent as JSON doubles (REST,
 * GraphQL) and the same one sent as proto floats (gRPC) store the same bits. The norm is then
 * taken in f64 and each component rounded once more, so both backends see the same stored bits.
 */
export function writeVector(view: Float32Array, at: number, vector: ArrayLike<number>, metric: Metric): void {
  const n = vector.length;
  let scale = 1;
  if (metric === 'cosine') {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = Math.fround(vector[i] ?? 0);
      sum += x * x;
    }
    if (sum > 0) scale = 1 / Math.sqrt(sum);
  }
  for (let i = 0; i < n; i++) view[at + i] = Math.fround(vector[i] ?? 0) * scale;
}
