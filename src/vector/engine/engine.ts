import type { Backend } from '../types.js';

/** Kernel codes shared with src/vector/wasm/distance.as. */
export const KERNEL_L2 = 0;
export const KERNEL_IP = 1;
export const KERNEL_L1 = 2;
/** Kernels over quantized rows (wasm/codes.as): int8 codes, and bits compared by Hamming distance. */
export const KERNEL_I8_L2 = 3;
export const KERNEL_I8_IP = 4;
export const KERNEL_I8_L1 = 5;
export const KERNEL_HAMMING = 6;
export type KernelCode =
  | typeof KERNEL_L2
  | typeof KERNEL_IP
  | typeof KERNEL_L1
  | typeof KERNEL_I8_L2
  | typeof KERNEL_I8_IP
  | typeof KERNEL_I8_L1
  | typeof KERNEL_HAMMING;

/**
 * One index's linear memory and the procedures that run over it: the exports of
 * src/vector/wasm/main.as, or their TypeScript replay (js-engine.ts). Addresses are byte offsets
 * into `buffer()`; every region is 16-byte aligned. See wasm/hnsw.as for the graph layout.
 */
export interface Engine {
  readonly backend: Backend;
  /** The current buffer; a new object after `grow`, so views must be taken again. */
  buffer(): ArrayBuffer;
  /** Makes the buffer at least `bytes` long, keeping its contents. */
  grow(bytes: number): void;
  distance(kernel: KernelCode, a: number, b: number, dim: number): number;
  flatSearch(
    kernel: KernelCode,
    query: number,
    base: number,
    stride: number,
    rows: number,
    dim: number,
    k: number,
    heap: number,
    /** One byte per row, zero to skip it; 0 scans every row. */
    mask: number,
  ): number;
  configure(
    kernel: KernelCode,
    dim: number,
    m: number,
    efConstruction: number,
    capacity: number,
    nodes: number,
    recBytes: number,
    headerOffset: number,
    visited: number,
    arena: number,
    scratch: number,
    resultCap: number,
  ): void;
  setEntryPoint(node: number, level: number): void;
  getEntryPoint(): number;
  getMaxLevel(): number;
  queryPointer(): number;
  resultsPointer(): number;
  insert(node: number, level: number): void;
  /**
   * `mask`: one byte per node, zero to keep it out of the results (still walked); 0 for none.
   * `skipDeleted`: 1 when the index holds tombstones, so that an unmasked search checks the
   * deleted flags; with 0 it skips that check (hnswlib's bare-bone search).
   */
  knnSearch(k: number, ef: number, mask: number, skipDeleted: number): number;
  /**
   * IVF-PQ's ADC table (wasm/pq.as): for each of m subspaces, the distance between the dsub
   * floats of `target` in it and each of its ksub sub-centroids — squared L2, L1, or −x·c for
   * KERNEL_IP — as m × ksub floats at `table`. `codebooks` are transposed: per subspace, dsub
   * rows of ksub floats.
   */
  pqTable(
    kernel: KernelCode,
    target: number,
    codebooks: number,
    m: number,
    ksub: number,
    dsub: number,
    table: number,
  ): void;
  /** Euclidean IVF-PQ: a list's table, its precomputed `terms` plus twice the −q·r `queryTable` (n floats). */
  pqListTable(terms: number, queryTable: number, n: number, out: number): void;
  /** Scores `rows` codes of m bytes by `table`: base + the m looked-up terms, one f32 per code at `out`. */
  pqScan(
    codes: number,
    rows: number,
    m: number,
    ksub: number,
    table: number,
    base: number,
    out: number,
  ): void;
  /**
   * Distances the last knnSearch or flatSearch computed (graph walk or scan), for `explain`.
   * Inserts move it too: read it right after the search.
   */
  scoredCount(): number;
}
