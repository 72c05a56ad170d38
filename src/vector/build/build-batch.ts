import { StrataError } from '../../kernel/index.js';
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
 * Inserts a placed batch: findNeighbours for every point, then linkPart for every part, each phase
 * spread over the pool's threads, then the entry point. Each worker gets visited marks and a
 * scratch of its own past the end of the layout, and the points' selections follow them; nothing
 * there outlives the batch. Returns false, with the graph as before the batch, when the searches
 * could not all be done (the caller then inserts the points serially); throws when the linking
 * failed half-way, which leaves the graph partly linked.
 */
export function buildBatch(
  pool: BuildPool,
  engine: SharedWasmEngine,
  layout: HnswLayout,
  spec: BatchSpec,
): boolean {
  const { capacity, resultCap } = layout;
  const visitedBytes = align16(2 * capacity);
  const regionBytes = visitedBytes + align16(scratchBytes(spec.dim, spec.m, capacity, resultCap));
  const regionsAt = align16(layout.total);
  // The calling thread works with the index's own scratch; each worker needs one.
  const regions: WorkerRegion[] = Array.from({ length: pool.threads - 1 }, (_, worker) => {
    const visited = regionsAt + worker * regionBytes;
    return { visited, scratch: visited + visitedBytes };
  });
  const stride = align16((Math.max(0, ...spec.levels) + 1) * engine.foundBlockBytes());
  const out = regionsAt + regions.length * regionBytes;
  const count = spec.levels.length;
  engine.grow(out + count * stride);
  // configure() starts each worker's visit epoch afresh: its marks must be zero.
  const bytes = new Uint8Array(engine.buffer());
  for (const region of regions) bytes.fill(0, region.visited, region.visited + visitedBytes);
  const { batchStart, entryPoint, entryLevel } = spec;
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
    entryPoint,
    entryLevel,
    batchStart,
    count,
    out,
    stride,
  };
  const searched = pool.run({ ...job, kind: 'search', units: count }, (i) => {
    engine.findNeighbours(batchStart + i, entryPoint, entryLevel, batchStart, out + i * stride);
  });
  if (!searched) return false;
  // Any number of parts links the same lists; several per thread let the others take over the
  // parts of one that the scheduler holds back, instead of waiting for it at the barrier.
  const parts = 4 * pool.threads;
  const linked = pool.run({ ...job, kind: 'link', units: parts }, (part) => {
    engine.linkPart(batchStart, count, out, stride, part, parts);
  });
  if (!linked) {
    throw new StrataError(
      'INTERNAL',
      'a build worker failed while linking a batch, which leaves this index partly linked: restart to rebuild it from the log, with vector.buildThreads 1 to build serially',
    );
  }
  let top = entryLevel;
  spec.levels.forEach((level, i) => {
    if (engine.getEntryPoint() < 0 || level > top) {
      engine.setEntryPoint(batchStart + i, level);
      top = level;
    }
  });
  return true;
}
