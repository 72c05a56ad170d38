// Parallel bulk builds of HNSW graphs on worker threads (docs/decisions/0016).
export { BuildPool, type BuildPoolOptions } from './build-pool.js';
export { buildBatch, type BatchSpec } from './build-batch.js';
