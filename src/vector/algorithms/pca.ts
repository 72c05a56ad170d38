// Principal component analysis for dimension reduction: fit on a sample, keep the top components
// of the covariance, project vectors onto them. The eigendecomposition is the cyclic Jacobi method
// (Golub & Van Loan, "Matrix Computations", §8.5): plane rotations that zero one off-diagonal
// entry at a time. It is slower than a QR-based solver — O(d³) per sweep, fine up to a few hundred
// dimensions — but unconditionally stable on symmetric matrices and exact to rounding, including
// on the repeated and zero eigenvalues that rank-deficient embedding data produce.
import { StrataError } from '../../kernel/index.js';
import { mulberry32 } from '../random.js';

export interface PcaOptions {
  /** Components kept: the reduced dimension. */
  readonly components: number;
  /** Fit on at most this many rows drawn at random. */
  readonly sample?: number;
  readonly seed?: number;
}

/** A fitted projection. All arrays are owned by the model; treat them as read-only. */
export interface PcaModel {
  readonly dimension: number;
  readonly components: number;
  readonly mean: Float64Array;
  /** `components` orthonormal rows of `dimension` floats, by decreasing variance. */
  readonly basis: Float64Array;
  /** The variance along each kept component (the covariance's eigenvalues). */
  readonly variances: Float64Array;
  /** Sum of the variances of all `dimension` directions: the covariance's trace. */
  readonly totalVariance: number;
  /** Fraction of the total variance the kept components explain, in [0, 1]. */
  readonly explainedVarianceRatio: number;
}

/** Eigenvalues and eigenvectors (columns of v) of the symmetric n × n matrix a, which is destroyed. */
export function jacobiEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const at = (i: number, j: number): number => a[i * n + j] ?? 0;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diagonal = 0;
    for (let i = 0; i < n; i++) {
      diagonal += at(i, i) ** 2;
      for (let j = i + 1; j < n; j++) off += at(i, j) ** 2;
    }
    if (off <= 1e-30 * diagonal || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = at(p, q);
        if (apq === 0) continue;
        // The rotation angle that zeroes a[p][q] (Golub & Van Loan Algorithm 8.5.1, sym.schur2),
        // with t the smaller root so the rotation stays within ±45°.
        const theta = (at(q, q) - at(p, p)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = at(k, p);
          const akq = at(k, q);
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = at(p, k);
          const aqk = at(q, k);
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p] ?? 0;
          const vkq = v[k * n + q] ?? 0;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = at(i, i);
  return { values, vectors: v };
}

/** Fits PCA on the n × d rows of `data` (packed). Deterministic for a seed. */
export function fitPca(data: Float32Array, d: number, options: PcaOptions): PcaModel {
  const total = Math.floor(data.length / d);
  const r = options.components;
  if (!Number.isInteger(r) || r < 1 || r > d) {
    throw new StrataError('INVALID_ARGUMENT', `components is ${r}; keep between 1 and the dimension ${d}`, {
      details: { components: r, dimension: d },
    });
  }
  if (total < 2) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `PCA needs at least 2 vectors to estimate a covariance; got ${total}`,
    );
  }
  // Which rows to fit on: all, or a seeded uniform sample without replacement.
  const n = Math.min(total, options.sample ?? total);
  const rows = new Int32Array(total);
  for (let i = 0; i < total; i++) rows[i] = i;
  const random = mulberry32(options.seed ?? 1);
  for (let i = 0; i < n && n < total; i++) {
    const j = i + Math.floor(random() * (total - i));
    const t = rows[j] ?? 0;
    rows[j] = rows[i] ?? 0;
    rows[i] = t;
  }
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const at = (rows[i] ?? 0) * d;
    for (let j = 0; j < d; j++) mean[j] = (mean[j] ?? 0) + (data[at + j] ?? 0);
  }
  for (let j = 0; j < d; j++) mean[j] = (mean[j] ?? 0) / n;
  // Covariance, upper triangle accumulated from centred rows, then mirrored.
  const cov = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const at = (rows[i] ?? 0) * d;
    for (let j = 0; j < d; j++) centred[j] = (data[at + j] ?? 0) - (mean[j] ?? 0);
    for (let a = 0; a < d; a++) {
      const ca = centred[a] ?? 0;
      if (ca === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] = (cov[a * d + b] ?? 0) + ca * (centred[b] ?? 0);
    }
  }
  let trace = 0;
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const value = (cov[a * d + b] ?? 0) / (n - 1);
      cov[a * d + b] = value;
      cov[b * d + a] = value;
    }
    trace += cov[a * d + a] ?? 0;
  }
  const { values, vectors } = jacobiEigen(cov, d);
  const order = Array.from({ length: d }, (_, i) => i).sort((x, y) => (values[y] ?? 0) - (values[x] ?? 0));
  const basis = new Float64Array(r * d);
  const variances = new Float64Array(r);
  let kept = 0;
  for (let c = 0; c < r; c++) {
    const col = order[c] ?? 0;
    // Rounding can leave a zero eigenvalue slightly negative; a variance cannot be.
    variances[c] = Math.max(0, values[col] ?? 0);
    kept += variances[c] ?? 0;
    // Sign convention: the largest-magnitude entry positive, so refits give the same basis.
    let big = 0;
    for (let j = 0; j < d; j++) {
      const x = vectors[j * d + col] ?? 0;
      if (Math.abs(x) > Math.abs(big)) big = x;
    }
    const sign = big < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) basis[c * d + j] = sign * (vectors[j * d + col] ?? 0);
  }
  return {
    dimension: d,
    components: r,
    mean,
    basis,
    variances,
    totalVariance: trace,
    explainedVarianceRatio: trace > 0 ? Math.min(1, kept / trace) : 1,
  };
}

/** Projects `vector` (dimension floats) onto the model's components. */
export function pcaTransform(
  model: PcaModel,
  vector: ArrayLike<number>,
  out: Float32Array = new Float32Array(model.components),
): Float32Array {
  const { dimension: d, components: r, mean, basis } = model;
  for (let c = 0; c < r; c++) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += ((vector[j] ?? 0) - (mean[j] ?? 0)) * (basis[c * d + j] ?? 0);
    out[c] = sum;
  }
  return out;
}

/** Maps reduced coordinates back to the original space: the closest point the model can express. */
export function pcaInverse(
  model: PcaModel,
  reduced: ArrayLike<number>,
  out: Float32Array = new Float32Array(model.dimension),
): Float32Array {
  const { dimension: d, components: r, mean, basis } = model;
  for (let j = 0; j < d; j++) {
    let sum = mean[j] ?? 0;
    for (let c = 0; c < r; c++) sum += (reduced[c] ?? 0) * (basis[c * d + j] ?? 0);
    out[j] = sum;
  }
  return out;
}

/** A fitted model as plain JSON, to store with a collection's config or snapshot. */
export interface PcaModelJson {
  readonly dimension: number;
  readonly components: number;
  readonly mean: number[];
  readonly basis: number[];
  readonly variances: number[];
  readonly totalVariance: number;
}

export function pcaToJson(model: PcaModel): PcaModelJson {
  return {
    dimension: model.dimension,
    components: model.components,
    mean: Array.from(model.mean),
    basis: Array.from(model.basis),
    variances: Array.from(model.variances),
    totalVariance: model.totalVariance,
  };
}

/** Reads a model written by pcaToJson; INVALID_ARGUMENT when the shapes do not agree. */
export function pcaFromJson(json: PcaModelJson): PcaModel {
  const { dimension: d, components: r } = json;
  const shapesAgree =
    Number.isInteger(d) &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= d &&
    json.mean.length === d &&
    json.basis.length === r * d &&
    json.variances.length === r;
  if (!shapesAgree) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `a PCA model needs mean of dimension floats, basis of components × dimension and variances of components; got dimension ${String(d)}, components ${String(r)}`,
    );
  }
  return {
    dimension: d,
    components: r,
    mean: Float64Array.from(json.mean),
    basis: Float64Array.from(json.basis),
    variances: Float64Array.from(json.variances),
    totalVariance: json.totalVariance,
    explainedVarianceRatio: explainedVarianceRatio(json),
  };
}

/** Fraction of the total variance a stored model's components keep, in [0, 1]. */
export function explainedVarianceRatio(json: Pick<PcaModelJson, 'variances' | 'totalVariance'>): number {
  let kept = 0;
  for (const v of json.variances) kept += v;
  return json.totalVariance > 0 ? Math.min(1, kept / json.totalVariance) : 1;
}
