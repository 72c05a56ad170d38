// k-means: Lloyd's iterations (Lloyd 1982, "Least squares quantization in PCM") from k-means++
// seeds (Arthur & Vassilvitskii 2007, "k-means++: the advantages of careful seeding"). It trains
// IVF's coarse quantizer and PQ's sub-quantizers, and backs the collection clustering API.
// Points are rows of one packed Float32Array; every distance is squared L2. For cosine, callers
// pass unit vectors and `spherical: true`, which keeps centroids on the unit sphere (spherical
// k-means: for unit x and c, |x - c|² = 2 - 2 x·c, so L2 and cosine rankings agree).
import { StrataError } from '../../kernel/index.js';
import { mulberry32 } from '../random.js';

export interface KMeansOptions {
  readonly k: number;
  /** Lloyd iterations at most; it stops earlier once no point changes cluster. Default 25. */
  readonly maxIterations?: number;
  /** Stops when an iteration lowers the inertia by less than this fraction. Default 1e-6. */
  readonly tolerance?: number;
  /** Seed of the RNG for the sample and the k-means++ draws: same seed, same result. Default 1. */
  readonly seed?: number;
  /** Train on at most this many points drawn at random; every point is assigned at the end. */
  readonly sample?: number;
  /** Normalise centroids to unit length after each update (cosine on unit vectors). */
  readonly spherical?: boolean;
}

export interface KMeansResult {
  readonly k: number;
  readonly dimension: number;
  /** k rows of `dimension` floats. */
  readonly centroids: Float32Array;
  /** The cluster of every input point (not only the sample). */
  readonly assignments: Int32Array;
  /** Sum of squared distances of the training sample to its centroids, after the last assignment. */
  readonly inertia: number;
  /** Inertia after each assignment step; never increases (Lloyd's two steps each lower it). */
  readonly history: readonly number[];
  readonly iterations: number;
  /** Number of training points each cluster holds at the end. */
  readonly sizes: Int32Array;
}

/** Squared L2 distance between row a of x and row b of y, in f64. */
export function squaredL2(x: Float32Array, a: number, y: Float32Array, b: number, d: number): number {
  let sum = 0;
  for (let i = 0; i < d; i++) {
    const t = (x[a + i] ?? 0) - (y[b + i] ?? 0);
    sum += t * t;
  }
  return sum;
}

/** Index of the centroid nearest (squared L2) to the row at float offset `at` of `data`. */
export function nearestCentroid(
  centroids: Float32Array,
  k: number,
  data: Float32Array,
  at: number,
  d: number,
): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let c = 0; c < k; c++) {
    const dist = squaredL2(data, at, centroids, c * d, d);
    if (dist < bestDistance) {
      bestDistance = dist;
      best = c;
    }
  }
  return best;
}

function validate(n: number, d: number, options: KMeansOptions): void {
  const { k } = options;
  if (!Number.isInteger(k) || k < 1) {
    throw new StrataError('INVALID_ARGUMENT', `k is ${k}; ask for at least one cluster (an integer k >= 1)`, {
      details: { k },
    });
  }
  if (k > n) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `k is ${k} but there are only ${n} points; lower k to at most ${n}`,
      {
        details: { k, points: n },
      },
    );
  }
  if (options.sample !== undefined && options.sample < k) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `sample is ${options.sample}; it must hold at least k = ${k} points`,
      {
        details: { sample: options.sample, k },
      },
    );
  }
  if (!Number.isInteger(d) || d < 1) {
    throw new StrataError('INVALID_ARGUMENT', `dimension is ${d}; it must be a positive integer`);
  }
}

/** Draws `m` distinct rows out of n by a partial Fisher-Yates shuffle, copied into a packed array. */
function drawSample(data: Float32Array, n: number, d: number, m: number, random: () => number): Float32Array {
  if (m >= n) return data.subarray(0, n * d);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const out = new Float32Array(m * d);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(random() * (n - i));
    const row = order[j] ?? 0;
    order[j] = order[i] ?? 0;
    order[i] = row;
    out.set(data.subarray(row * d, row * d + d), i * d);
  }
  return out;
}

function normalise(v: Float32Array, at: number, d: number): void {
  let sum = 0;
  for (let i = 0; i < d; i++) sum += (v[at + i] ?? 0) ** 2;
  if (sum === 0) return;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < d; i++) v[at + i] = (v[at + i] ?? 0) * scale;
}

/**
 * k-means++ seeding (Arthur & Vassilvitskii 2007, §2.2): the first centre uniformly, each next one
 * with probability proportional to D(x)², the squared distance to the nearest centre so far. It
 * gives an O(log k)-competitive start and spreads seeds across separated clusters.
 */
function seedPlusPlus(x: Float32Array, n: number, d: number, k: number, random: () => number): Float32Array {
  const centroids = new Float32Array(k * d);
  const first = Math.floor(random() * n);
  centroids.set(x.subarray(first * d, first * d + d), 0);
  const nearest = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    nearest[i] = squaredL2(x, i * d, centroids, 0, d);
    total += nearest[i] ?? 0;
  }
  for (let c = 1; c < k; c++) {
    let pick = -1;
    if (total > 0) {
      let target = random() * total;
      for (let i = 0; i < n; i++) {
        target -= nearest[i] ?? 0;
        if (target < 0) {
          pick = i;
          break;
        }
      }
    }
    // All remaining mass is zero (duplicate points) or rounding ran past the end: take any point
    // not yet at distance 0, else any point at all — a duplicate centre is repaired as empty later.
    if (pick < 0) {
      pick = Math.floor(random() * n);
      for (let i = 0; i < n; i++) if ((nearest[i] ?? 0) > 0) pick = i;
    }
    centroids.set(x.subarray(pick * d, pick * d + d), c * d);
    total = 0;
    for (let i = 0; i < n; i++) {
      const dist = squaredL2(x, i * d, centroids, c * d, d);
      if (dist < (nearest[i] ?? 0)) nearest[i] = dist;
      total += nearest[i] ?? 0;
    }
  }
  return centroids;
}

/**
 * Assignment step of Lloyd's algorithm: each point to its nearest centroid. Returns the inertia and
 * writes each point's squared distance, which the empty-cluster repair reads.
 */
function assignStep(
  x: Float32Array,
  n: number,
  d: number,
  centroids: Float32Array,
  k: number,
  labels: Int32Array,
  distances: Float64Array,
): { inertia: number; changed: number } {
  // |x − c|² = |x|² − 2·x·c + |c|²: with the centroid norms computed once per step, the inner
  // loop is a dot product, a multiply-add per float instead of a subtract, multiply and add.
  const norms = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += (centroids[c * d + j] ?? 0) ** 2;
    norms[c] = sum;
  }
  let inertia = 0;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const xi = i * d;
    let xx = 0;
    for (let j = 0; j < d; j++) xx += (x[xi + j] ?? 0) ** 2;
    let best = 0;
    let bestScore = Infinity;
    for (let c = 0; c < k; c++) {
      const cc = c * d;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += (x[xi + j] ?? 0) * (centroids[cc + j] ?? 0);
      const score = (norms[c] ?? 0) - 2 * dot;
      if (score < bestScore) {
        bestScore = score;
        best = c;
      }
    }
    // Cancellation can leave a tiny negative for a point on its centroid; a distance cannot be.
    const bestDistance = Math.max(0, xx + bestScore);
    if (labels[i] !== best) changed++;
    labels[i] = best;
    distances[i] = bestDistance;
    inertia += bestDistance;
  }
  return { inertia, changed };
}

/**
 * Update step: each centroid moves to the mean of its points (the minimiser of its squared
 * distances). An empty cluster takes the point farthest from its centroid, out of a cluster with
 * more than one point: that point's cost drops to 0 and its old cluster only loses cost, so the
 * inertia still cannot rise, and all k centroids stay in use.
 */
function updateStep(
  x: Float32Array,
  n: number,
  d: number,
  centroids: Float32Array,
  k: number,
  labels: Int32Array,
  distances: Float64Array,
  sizes: Int32Array,
  sums: Float64Array,
  spherical: boolean,
): void {
  sizes.fill(0);
  sums.fill(0);
  for (let i = 0; i < n; i++) {
    const c = labels[i] ?? 0;
    sizes[c] = (sizes[c] ?? 0) + 1;
    for (let j = 0; j < d; j++) sums[c * d + j] = (sums[c * d + j] ?? 0) + (x[i * d + j] ?? 0);
  }
  for (let c = 0; c < k; c++) {
    if ((sizes[c] ?? 0) > 0) continue;
    let far = -1;
    for (let i = 0; i < n; i++) {
      if ((sizes[labels[i] ?? 0] ?? 0) > 1 && (far < 0 || (distances[i] ?? 0) > (distances[far] ?? 0)))
        far = i;
    }
    if (far < 0) break; // Fewer distinct points than k: nothing left to move.
    const from = labels[far] ?? 0;
    sizes[from] = (sizes[from] ?? 0) - 1;
    for (let j = 0; j < d; j++) {
      const v = x[far * d + j] ?? 0;
      sums[from * d + j] = (sums[from * d + j] ?? 0) - v;
      sums[c * d + j] = v;
    }
    sizes[c] = 1;
    labels[far] = c;
    distances[far] = 0;
  }
  for (let c = 0; c < k; c++) {
    const size = sizes[c] ?? 0;
    if (size === 0) continue;
    for (let j = 0; j < d; j++) centroids[c * d + j] = (sums[c * d + j] ?? 0) / size;
    if (spherical) normalise(centroids, c * d, d);
  }
}

/**
 * Clusters the n rows of `data` (n × d, packed) into k groups. Deterministic for a given seed.
 * Costs O(iterations · sample · k · d); pass `sample` to bound it on large inputs.
 */
export function kmeans(data: Float32Array, d: number, options: KMeansOptions): KMeansResult {
  const n = Math.floor(data.length / d);
  validate(n, d, options);
  const { k } = options;
  const random = mulberry32(options.seed ?? 1);
  const m = Math.min(n, options.sample ?? n);
  const x = drawSample(data, n, d, m, random);
  const centroids = seedPlusPlus(x, m, d, k, random);
  const spherical = options.spherical ?? false;
  if (spherical) for (let c = 0; c < k; c++) normalise(centroids, c * d, d);
  const labels = new Int32Array(m).fill(-1);
  const distances = new Float64Array(m);
  const sizes = new Int32Array(k);
  const sums = new Float64Array(k * d);
  const maxIterations = Math.max(1, options.maxIterations ?? 25);
  const tolerance = options.tolerance ?? 1e-6;
  const history: number[] = [];
  let iterations = 0;
  for (;;) {
    const { inertia, changed } = assignStep(x, m, d, centroids, k, labels, distances);
    history.push(inertia);
    const previous = history[history.length - 2];
    const converged = changed === 0 || (previous !== undefined && previous - inertia <= tolerance * previous);
    if (converged || iterations === maxIterations) break;
    updateStep(x, m, d, centroids, k, labels, distances, sizes, sums, spherical);
    iterations++;
  }
  sizes.fill(0);
  for (let i = 0; i < m; i++) sizes[labels[i] ?? 0] = (sizes[labels[i] ?? 0] ?? 0) + 1;
  let assignments = labels;
  if (m < n) {
    assignments = new Int32Array(n);
    for (let i = 0; i < n; i++) assignments[i] = nearestCentroid(centroids, k, data, i * d, d);
  }
  return {
    k,
    dimension: d,
    centroids,
    assignments,
    inertia: history[history.length - 1] ?? 0,
    history,
    iterations,
    sizes,
  };
}

/** Packs rows into one n × d Float32Array, the layout kmeans and pca take. */
export function packRows(rows: readonly ArrayLike<number>[], d: number): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((row, i) => {
    for (let j = 0; j < d; j++) out[i * d + j] = row[j] ?? 0;
  });
  return out;
}
