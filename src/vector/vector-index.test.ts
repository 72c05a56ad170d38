import { vectorIndexConformance } from './conformance.js';
import { FlatIndex } from './flat-index.js';
import { HnswIndex } from './hnsw-index.js';

for (const backend of ['wasm-simd', 'js'] as const) {
  vectorIndexConformance(
    `FlatIndex (${backend})`,
    (dimension, metric) => new FlatIndex({ dimension, metric, backend }),
  );
  vectorIndexConformance(
    `HnswIndex (${backend})`,
    (dimension, metric) => new HnswIndex({ dimension, metric, backend, capacity: 8 }),
  );
}
