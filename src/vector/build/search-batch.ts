import type { SharedWasmEngine } from '../engine/wasm-engine.js';
import { scratchBytes, type HnswLayout } from '../hnsw-layout.js';
import type { BuildPool } from './build-pool.js';
import type { WorkerRegion } from './build-job.js';

export interface BatchSpec {
  readonly kernel: number;
  readonly dim: number;
  readonly m: number;
  readonly efConstruction: number;
  /** The graph's entry point and top layer before the batch (-1, -1 when it was empty). */
  readonly entryPoint: number;
  readonly entryLevel: number;
  /** The batch's first slot; its points take the slots after it, with these levels. */
  readonly batchStart: number;
  readonly levels: readonly number[];
}

const align16 = (n: number): number => (n + 15) & ~15;

/**
 * Runs findNeighbours for a placed batch on the pool's threads. Each worker gets visited marks and
 * a scratch of its own past the end of the layout, and the points' output follows them; nothing
 * there outlives the batch. Returns where point i's selections lie (out + i * stride), or
 * undefined when the pool failed.
 */
export function searchBatch(
  pool: BuildPool,
  engine: SharedWasmEngine,
  layout: HnswLayout,
  spec: BatchSpec,
): { out: number; stride: number } | undefined {
  const { capacity, resultCap } = layout;
  const visitedBytes = align16(2 * capacity);
  const regionBytes = visitedBytes + align16(scratchBytes(spec.dim, spec.m, capacity, resultCap));
  const regionsAt = align16(layout.total);
  // The calling thread searches with the index's own scratch; each worker needs one.
  const regions: WorkerRegion[] = Array.from({ length: pool.threads - 1 }, (_, worker) => {
    const visited = regionsAt + worker * regionBytes;
    return { visited, scratch: visited + visitedBytes };
  });
  const stride = align16((Math.max(0, ...spec.levels) + 1) * engine.foundBlockBytes());
  const out = regionsAt + regions.length * regionBytes;
  engine.grow(out + spec.levels.length * stride);
  // configure() starts each worker's visit epoch afresh: its marks must be zero.
  const bytes = new Uint8Array(engine.buffer());
  for (const region of regions) bytes.fill(0, region.visited, region.visited + visitedBytes);
  const job = {
    module: engine.module,
    memory: engine.memory,
    graph: {
      kernel: spec.kernel,
      dim: spec.dim,
      m: spec.m,
      efConstruction: spec.efConstruction,
      capacity,
      nodes: layout.nodes,
      recBytes: layout.recBytes,
      headerOffset: layout.headerOffset,
      arena: layout.arena,
      resultCap,
    },
    regions,
    entryPoint: spec.entryPoint,
    entryLevel: spec.entryLevel,
    batchStart: spec.batchStart,
    count: spec.levels.length,
    out,
    stride,
  };
  const ok = pool.findNeighbours(job, (i) => {
    engine.findNeighbours(
      spec.batchStart + i,
      spec.entryPoint,
      spec.entryLevel,
      spec.batchStart,
      out + i * stride,
    );
  });
  return ok ? { out, stride } : undefined;
}
