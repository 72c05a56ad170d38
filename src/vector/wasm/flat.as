// AssemblyScript. Exact k-NN scan over rows laid out `stride` bytes apart: one call per query.
import { countScored, resetScored } from './counter';
import { distance } from './distance';
import { heapId, heapKey, heapPop, heapPush, heapReplaceTop } from './heap';

// Leaves the k nearest rows in `heap` as (distance, row) pairs sorted ascending and returns how
// many there are. `mask` (0 for none) holds one byte per row; rows whose byte is zero are skipped,
// which serves filtered exact search and the HNSW index's exact mode (its deleted slots are
// masked out). The flat index itself has no deleted rows: it fills holes eagerly.
export function flatSearch(
  metric: i32,
  query: usize,
  base: usize,
  stride: i32,
  rows: i32,
  dim: i32,
  k: i32,
  heap: usize,
  mask: usize,
): i32 {
  let size: i32 = 0;
  let measured: i32 = 0;
  for (let i: i32 = 0; i < rows; i++) {
    if (mask != 0 && load<u8>(mask + <usize>i) == 0) continue;
    measured++;
    const d = distance(metric, query, base + <usize>i * <usize>stride, dim);
    if (size < k) size = heapPush(heap, size, d, i);
    else if (d < heapKey(heap, 0)) heapReplaceTop(heap, size, d, i);
  }
  resetScored();
  countScored(measured);
  // Heapsort in place: each pop moves the current maximum just past the shrinking heap.
  const n = size;
  while (size > 1) {
    const key = heapKey(heap, 0);
    const id = heapId(heap, 0);
    size = heapPop(heap, size);
    const p = heap + (<usize>size << 3);
    store<f32>(p, key);
    store<i32>(p, id, 4);
  }
  return n;
}
