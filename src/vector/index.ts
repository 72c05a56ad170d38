// The vector engine's public surface (ARCHITECTURE.md §4). Everything outside src/vector imports
// from here.
export type {
  Backend,
  BackendChoice,
  IdFilter,
  Metric,
  QuantizationSearchParams,
  SearchHit,
  SearchOptions,
  SearchTrace,
  VectorIndex,
} from './types.js';
export { metrics, searchTrace } from './types.js';
export { FlatIndex, type FlatIndexOptions } from './flat-index.js';
export { HnswIndex, type HnswIndexOptions } from './hnsw-index.js';
export { BuildPool, type BuildPoolOptions } from './build/index.js';
export { IvfFlatIndex, type IvfFlatIndexOptions } from './ivf/ivf-flat-index.js';
export { IvfPqIndex, type IvfPqIndexOptions } from './ivf/ivf-pq-index.js';
export type { IvfOptions } from './ivf/ivf-index.js';
export { kmeans, type KMeansOptions, type KMeansResult } from './algorithms/kmeans.js';
export {
  fitPca,
  pcaFromJson,
  pcaInverse,
  pcaToJson,
  pcaTransform,
  type PcaModel,
  type PcaModelJson,
  type PcaOptions,
} from './algorithms/pca.js';
export { PcaIndex, type PcaIndexOptions } from './reduced/pca-index.js';
export {
  QuantizedHnswIndex,
  type Quantization,
  type QuantizedIndexOptions,
  type VectorMemory,
} from './quantization/quantized-index.js';
export { EngineFullVectors, type FullVectors, type FullVectorsFactory } from './quantization/full-vectors.js';
export { DiskFullVectors, type DiskFullVectorsOptions } from './quantization/disk-full-vectors.js';
export { BlockCache, type BlockCacheStats } from './quantization/block-cache.js';
export { resolveBackend, wasmSimdSupported } from './engine/select.js';
export { mulberry32 } from './random.js';
export {
  PayloadIndexes,
  filteredSearch,
  matchesFilter,
  normalizePointId,
  parseFilter,
  payloadSchemaTypes,
  type Filter,
  type FilterSource,
  type FilteredSearchOptions,
  type FilteredSearchPlan,
  type FilteredSearchResult,
  type Payload,
  type PayloadFieldSchema,
  type PayloadSchemaType,
  type PointId,
} from './filter/index.js';
export { vectorConfigSchema, type VectorConfig } from './config.js';
export { VectorModule, type VectorModuleOptions } from './vector-module.js';
export type { VectorProcedures } from './store/procedures.js';
export type { FilterExplain, SearchExplain } from './store/explain.js';
export type { CollectionChange } from './store/change-feed.js';
export {
  FileLog,
  FileSource,
  FsBlobStore,
  MemoryLog,
  bufferSource,
  sliceSource,
  deleteSnapshots,
  latestSnapshot,
  storageConfigSchema,
  writeSnapshot,
  type BlobStore,
  type ByteSource,
  type FileLogOptions,
  type FsyncPolicy,
  type LogDurability,
  type OperationLog,
  type ReplayReport,
  type Snapshot,
  type StorageConfig,
  type WrittenSnapshot,
} from './storage/index.js';
