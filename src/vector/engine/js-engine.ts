import type { Engine } from './engine.js';
import { JsHnsw } from './js-hnsw.js';
import { pqListTable, pqScan, pqTable } from './js-pq.js';

const PAGE = 65536;

/** The pure-TypeScript engine: an ArrayBuffer grown by copying, and js-hnsw.ts and js-pq.ts over it. */
export function createJsEngine(): Engine {
  let memory = new ArrayBuffer(0);
  let floatView = new Float32Array(0);
  let byteView = new Uint8Array(0);
  const core = new JsHnsw();
  return {
    backend: 'js',
    buffer: () => memory,
    grow(bytes) {
      if (bytes <= memory.byteLength) return;
      const next = new ArrayBuffer(Math.ceil(bytes / PAGE) * PAGE);
      new Uint8Array(next).set(new Uint8Array(memory));
      memory = next;
      floatView = new Float32Array(memory);
      byteView = new Uint8Array(memory);
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
    pqTable(kernel, target, codebooks, m, ksub, dsub, table) {
      pqTable(floatView, kernel, target, codebooks, m, ksub, dsub, table);
    },
    pqListTable(terms, queryTable, n, out) {
      pqListTable(floatView, terms, queryTable, n, out);
    },
    pqScan(codes, rows, m, ksub, table, base, out) {
      pqScan(floatView, byteView, codes, rows, m, ksub, table, base, out);
    },
  };
}
