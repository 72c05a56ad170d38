import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, StrataError } from '../../kernel/index.js';
import type { Engine, KernelCode } from './engine.js';
import {
  KERNEL_HAMMING,
  KERNEL_I8_IP,
  KERNEL_I8_L1,
  KERNEL_I8_L2,
  KERNEL_IP,
  KERNEL_L1,
  KERNEL_L2,
} from './engine.js';
import { wasmApi, type WasmApi, type WasmMemory, type WasmModule } from './wasm-api.js';

const PAGE = 65536;

/** The exports of src/vector/wasm/main.as. */
interface VectorExports {
  readonly memory: WasmMemory;
  readonly l2sq: (a: number, b: number, n: number) => number;
  readonly dot: (a: number, b: number, n: number) => number;
  readonly l1: (a: number, b: number, n: number) => number;
  readonly l2sqI8: (a: number, b: number, n: number) => number;
  readonly negDotI8: (a: number, b: number, n: number) => number;
  readonly l1I8: (a: number, b: number, n: number) => number;
  readonly hamming: (a: number, b: number, n: number) => number;
  readonly flatSearch: Engine['flatSearch'];
  readonly configure: Engine['configure'];
  readonly setEntryPoint: (node: number, level: number) => void;
  readonly getEntryPoint: () => number;
  readonly getMaxLevel: () => number;
  readonly queryPointer: () => number;
  readonly resultsPointer: () => number;
  readonly insert: (node: number, level: number) => void;
  readonly knnSearch: (k: number, ef: number, mask: number, skipDeleted: number) => number;
  readonly scoredCount: () => number;
  readonly foundBlockBytes: () => number;
  readonly findNeighbours: SharedWasmEngine['findNeighbours'];
  readonly linkPart: SharedWasmEngine['linkPart'];
  readonly pqTable: Engine['pqTable'];
  readonly pqListTable: Engine['pqListTable'];
  readonly pqScan: Engine['pqScan'];
}

/**
 * An engine over a memory backed by a SharedArrayBuffer (dist/wasm/vector-shared.wasm), which
 * worker threads instantiate the same module over for a parallel bulk build
 * (src/vector/build/, docs/decisions/0016). It adds the two halves of INSERT that such a build
 * runs apart; wasm/hnsw.as describes them.
 */
export interface SharedWasmEngine extends Engine {
  readonly memory: WasmMemory;
  readonly module: WasmModule;
  /** Bytes of one layer's selection in findNeighbours' output. */
  foundBlockBytes(): number;
  findNeighbours(q: number, ep: number, epLevel: number, batchStart: number, out: number): void;
  linkPart(batchStart: number, count: number, out: number, stride: number, part: number, parts: number): void;
}

/** Where `npm run build` (scripts/build-wasm.js) writes the module, for runs from dist/ and src/ alike. */
export function wasmPath(file = 'vector.wasm'): string {
  return join(packageRoot(), 'dist', 'wasm', file);
}

let compiled: WasmModule | undefined;
let compiledShared: WasmModule | undefined;

function api(): WasmApi {
  const found = wasmApi();
  if (found === undefined)
    throw new StrataError('UNAVAILABLE', 'WebAssembly is not available in this runtime');
  return found;
}

/** Compiles the module once per process; throws when it has not been built. */
export function vectorModule(): WasmModule {
  compiled ??= new (api().Module)(readFileSync(wasmPath()));
  return compiled;
}

/** The build of the module that imports a shared memory, compiled once per process. */
export function sharedVectorModule(): WasmModule {
  compiledShared ??= new (api().Module)(readFileSync(wasmPath('vector-shared.wasm')));
  return compiledShared;
}

/** The most a 32-bit memory can address; scripts/build-wasm.js declares it for the shared build. */
const MAX_PAGES = 65536;

/** An engine over a fresh shared memory of at least `bytes`. */
export function createSharedWasmEngine(bytes: number): SharedWasmEngine {
  const module = sharedVectorModule();
  const memory = new (api().Memory)({
    initial: Math.max(1, Math.ceil(bytes / PAGE)),
    maximum: MAX_PAGES,
    shared: true,
  });
  const exports = new (api().Instance)(module, { env: { memory } }).exports as VectorExports;
  return {
    ...engineOver(exports, memory),
    memory,
    module,
    foundBlockBytes: exports.foundBlockBytes,
    findNeighbours: exports.findNeighbours,
    linkPart: exports.linkPart,
  };
}

/**
 * One instance per index, so that each index has its own linear memory (vectors, graph, scratch)
 * and its own globals. Instantiation is synchronous: the module is small and compiled once.
 */
export function createWasmEngine(module: WasmModule = vectorModule()): Engine {
  const exports = new (api().Instance)(module, {}).exports as VectorExports;
  return engineOver(exports, exports.memory);
}

function engineOver(exports: VectorExports, memory: WasmMemory): Engine {
  const kernels = {
    [KERNEL_L2]: exports.l2sq,
    [KERNEL_IP]: (a: number, b: number, dim: number) => Math.fround(1 - exports.dot(a, b, dim)),
    [KERNEL_L1]: exports.l1,
    [KERNEL_I8_L2]: exports.l2sqI8,
    [KERNEL_I8_IP]: exports.negDotI8,
    [KERNEL_I8_L1]: exports.l1I8,
    [KERNEL_HAMMING]: exports.hamming,
  } satisfies Record<KernelCode, (a: number, b: number, dim: number) => number>;
  const distance = (kernel: KernelCode, a: number, b: number, dim: number): number =>
    kernels[kernel](a, b, dim);
  return {
    backend: 'wasm-simd',
    buffer: () => memory.buffer,
    grow(bytes) {
      const have = memory.buffer.byteLength;
      if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
    },
    distance,
    flatSearch: exports.flatSearch,
    configure: exports.configure,
    setEntryPoint: exports.setEntryPoint,
    getEntryPoint: exports.getEntryPoint,
    getMaxLevel: exports.getMaxLevel,
    queryPointer: exports.queryPointer,
    resultsPointer: exports.resultsPointer,
    insert: exports.insert,
    knnSearch: exports.knnSearch,
    scoredCount: exports.scoredCount,
    pqTable: exports.pqTable,
    pqListTable: exports.pqListTable,
    pqScan: exports.pqScan,
  };
}
