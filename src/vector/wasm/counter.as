// AssemblyScript. Distances computed by the last search (knnSearch, flatSearch), read through
// scoredCount() for `explain` (docs/decisions/0015). Always on: one add per expanded node or
// scanned row, next to kernels of `dim` multiply-adds each, costs nothing measurable, and a
// switch would cost a branch of its own. js-hnsw.ts counts the same distances, so both backends
// report the same number.
let scored: i32 = 0;

// @ts-ignore: decorator
@inline
export function countScored(n: i32): void {
  scored += n;
}

export function resetScored(): void {
  scored = 0;
}

export function scoredCount(): i32 {
  return scored;
}
