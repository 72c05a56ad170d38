import type { Engine } from './engine.js';
import { JsHnsw } from './js-hnsw.js';

const PAGE = 65536;

/** The pure-TypeScript engine: an ArrayBuffer grown by copying, and js-hnsw.ts over it. */
export function createJsEngine(): Engine {
  let memory = new ArrayBuffer(0);
  const core = new JsHnsw();
  return {
    backend: 'js',
    buffer: () => memory,
    grow(bytes) {
      if (bytes <= memory.byteLength) return;
      const next = new ArrayBuffer(Math.ceil(bytes / PAGE) * PAGE);
      new Uint8Array(next).set(new Uint8Array(memory));
      memory = next;
      core.attach(memory);
    },
    distance: (kernel, a, b, dim) => core.distance(kernel, a, b, dim),
    flatSearch: (kernel, query, base, stride, rows, dim, k, heap, mask) =>
      core.flatSearch(kernel, query, base, stride, rows, dim, k, heap, mask),
    configure: (...args) => {
      core.configure(...args);
    },
    setEntryPoint(node, level) {
      core.entryPoint = node;
      core.maxLevel = level;
    },
    getEntryPoint: () => core.entryPoint,
    getMaxLevel: () => core.maxLevel,
    queryPointer: () => core.query,
    resultsPointer: () => core.results,
    insert(node, level) {
      core.insert(node, level);
    },
    knnSearch: (k, ef, mask, skipDeleted) => core.knnSearch(k, ef, mask, skipDeleted),
    scoredCount: () => core.scored,
  };
}
