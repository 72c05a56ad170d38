// AssemblyScript entry: everything src/vector/engine/wasm-engine.ts calls. Built with
// `--runtime stub`: nothing here allocates; all state is in linear memory laid out by the caller.
export { l2sq, dot, l1 } from './distance';
export { l2sqI8, negDotI8, l1I8, hamming } from './codes';
export { flatSearch } from './flat';
export { scoredCount } from './counter';
export {
  configure,
  setEntryPoint,
  getEntryPoint,
  getMaxLevel,
  queryPointer,
  resultsPointer,
  insert,
  knnSearch,
  foundBlockBytes,
  findNeighbours,
  linkPart,
} from './hnsw';
export { pqTable, pqListTable, pqScan } from './pq';
