import { vectorIndexConformance } from './conformance.js';
import { FlatIndex } from './flat-index.js';
import { HnswIndex } from './hnsw-index.js';
import { IvfFlatIndex } from './ivf/ivf-flat-index.js';
import { IvfPqIndex } from './ivf/ivf-pq-index.js';

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

// IVF trains itself after 16 points here, so the suite exercises both its exact scan before
// training and its inverted lists after (4 lists, 2 probed).
const ivf = { nlist: 4, nprobe: 2, trainingSize: 16 } as const;
vectorIndexConformance(
  'IvfFlatIndex (js)',
  (dimension, metric) => new IvfFlatIndex({ dimension, metric, ...ivf }),
);
vectorIndexConformance(
  'IvfPqIndex (js)',
  (dimension, metric) => new IvfPqIndex({ dimension, metric, ...ivf }),
);
