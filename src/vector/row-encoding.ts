import type { KernelCode } from './engine/engine.js';
import { kernelOf, rowBytes, writeVector } from './metric.js';
import type { Metric } from './types.js';

/**
 * How an index stores one vector in its records, and the kernel that compares two stored rows:
 * float32 (the default), or codes from a quantizer (quantization/). The query is written with the
 * same encoding into the query scratch, which has room for a float32 row.
 */
export interface RowEncoding {
  readonly kernel: KernelCode;
  /** Bytes a row takes, a multiple of 16; the bytes after the vector's own stay zero. */
  readonly rowBytes: number;
  /** Writes `vector`'s row at byte offset `at` of `buffer`, padding included. */
  write(buffer: ArrayBuffer, at: number, vector: ArrayLike<number>): void;
}

/** Float32 rows, normalised for cosine on the way in (metric.ts writeVector). */
export function float32Encoding(dimension: number, metric: Metric): RowEncoding {
  return {
    kernel: kernelOf[metric],
    rowBytes: rowBytes(dimension),
    write(buffer, at, vector) {
      writeVector(new Float32Array(buffer), at >> 2, vector, metric);
    },
  };
}
