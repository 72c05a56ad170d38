import { rowBytes } from './metric.js';

/** Byte offsets of one HNSW index's regions in its linear memory (see wasm/hnsw.as). */
export interface HnswLayout {
  readonly capacity: number;
  readonly recBytes: number;
  /** Offset of the record's header (level, upper, flags, links) after its vector, which starts the record. */
  readonly headerOffset: number;
  readonly nodes: number;
  readonly visited: number;
  readonly arena: number;
  readonly arenaBytes: number;
  readonly scratch: number;
  readonly resultCap: number;
  /** The allow mask of a filtered or exact search: one byte per node, rebuilt by each search (a
   * search with the same id list as the last one reuses it). */
  readonly mask: number;
  readonly total: number;
}

// Address 0 stays unused so that a zero pointer is never a node; records start on a cache line.
const BASE = 64;
const align16 = (n: number): number => (n + 15) & ~15;
const align64 = (n: number): number => (n + 63) & ~63;

/** Bytes of the search scratch that configure() lays out (query, heaps, selection buffers). */
export function scratchBytes(dim: number, m: number, capacity: number, resultCap: number): number {
  const m0 = 2 * m;
  return rowBytes(dim) + capacity * 8 + 2 * (resultCap + 1) * 8 + 2 * (m0 + 1) * 8 + m0 * 4;
}

/**
 * Node records first, so that growing the capacity appends records without moving them; the
 * visited marks and the arena after them move (the marks are cleared, the arena copied); scratch
 * and the mask last, since they hold nothing between calls. The scratch formula is repeated in
 * configure().
 */
export function hnswLayout(
  dim: number,
  /** Bytes of a stored row: a float32 vector, or its codes (row-encoding.ts). */
  vectorBytes: number,
  m: number,
  capacity: number,
  arenaBytes: number,
  resultCap: number,
): HnswLayout {
  const m0 = 2 * m;
  const headerOffset = vectorBytes;
  const recBytes = align64(headerOffset + 16 + 4 * m0);
  const nodes = BASE;
  const visited = align16(nodes + capacity * recBytes);
  const arena = align16(visited + capacity * 2);
  const scratch = align16(arena + arenaBytes);
  const mask = align16(scratch + scratchBytes(dim, m, capacity, resultCap));
  return {
    capacity,
    recBytes,
    headerOffset,
    nodes,
    visited,
    arena,
    arenaBytes,
    scratch,
    resultCap,
    mask,
    total: mask + capacity,
  };
}
