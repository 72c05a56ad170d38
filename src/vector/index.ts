// The vector engine's public surface (ARCHITECTURE.md §4). Everything outside src/vector imports
// from here.
export type { Backend, BackendChoice, Metric, SearchHit, SearchOptions, VectorIndex } from './types.js';
export { metrics } from './types.js';
export { FlatIndex, type FlatIndexOptions } from './flat-index.js';
export { HnswIndex, type HnswIndexOptions } from './hnsw-index.js';
export { resolveBackend, wasmSimdSupported } from './engine/select.js';
export { mulberry32 } from './random.js';
