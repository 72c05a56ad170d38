// The clustering API (issue 7): k-means over a collection's stored vectors. Strata's own
// procedure; Qdrant has no equivalent. Vectors are read as stored (unit length for cosine), so
// cosine collections get spherical k-means and the others squared-L2 k-means — for dot and
// manhattan collections that is the usual Euclidean notion of a cluster, not their search metric.
import { StrataError } from '../../kernel/index.js';
import { kmeans } from '../algorithms/kmeans.js';
import type { Collection } from '../collection/collection.js';
import type { PointId } from '../collection/point-id.js';
import { integerField, type Json } from './requests.js';

/** Bounds that keep one synchronous call to a few seconds: O(iterations · sample · k · dimension). */
const MAX_K = 4096;
const MAX_ITERATIONS = 1000;
const DEFAULT_SAMPLE = 20_000;

export interface ClusterResult {
  /** k centroids, in the collection's dimension. */
  readonly centroids: number[][];
  /** Points per cluster. */
  readonly sizes: number[];
  /** Every point's cluster (an index into centroids), in scroll order. */
  readonly assignments: { readonly id: PointId; readonly cluster: number }[];
  /** Sum of squared distances of the training sample to its centroids. */
  readonly inertia: number;
  /** Lloyd iterations run. */
  readonly iterations: number;
}

/**
 * Clusters the points of `collection` into k groups: `{k, sample?, iterations?, seed?}`. k must be
 * at least 1 and at most the number of points; the centroids are trained on a seeded sample of at
 * most `sample` points (default 20 000) and every point is then assigned.
 */
export function clusterCollection(collection: Collection, json: Json): ClusterResult {
  const ids = collection.sortedIds();
  const n = ids.length;
  const k = integerField(json, 'k', 1, Math.min(MAX_K, Math.max(n, 1)));
  if (n === 0) {
    throw new StrataError('INVALID_ARGUMENT', `collection ${collection.name} has no points to cluster`);
  }
  const sample = integerField(
    json,
    'sample',
    k,
    Number.MAX_SAFE_INTEGER,
    Math.max(k, Math.min(n, DEFAULT_SAMPLE)),
  );
  const iterations = integerField(json, 'iterations', 1, MAX_ITERATIONS, 25);
  const seed = integerField(json, 'seed', 0, 0xffffffff, 1);
  const d = collection.params.dimension;
  const data = new Float32Array(n * d);
  ids.forEach((id, i) => {
    data.set(collection.vector(id) ?? [], i * d);
  });
  const result = kmeans(data, d, {
    k,
    sample,
    seed,
    maxIterations: iterations,
    spherical: collection.params.metric === 'cosine',
  });
  const sizes = new Array<number>(k).fill(0);
  const assignments = ids.map((id, i) => {
    const cluster = result.assignments[i] ?? 0;
    sizes[cluster] = (sizes[cluster] ?? 0) + 1;
    return { id, cluster };
  });
  return {
    centroids: Array.from({ length: k }, (_, c) => Array.from(result.centroids.subarray(c * d, c * d + d))),
    sizes,
    assignments,
    inertia: result.inertia,
    iterations: result.iterations,
  };
}
