// Seeded data for the tests beside this folder's code: the same vectors on every run.
import { mulberry32 } from './random.js';

/**
 * n points around `clusters` centres in [-1, 1]^dim. Each point moves off its centre along a
 * shared random 8-dimensional subspace, plus a little isotropic noise: real embeddings have a low
 * intrinsic dimension, and uniform noise in all dimensions would measure something else.
 * The centres and subspace depend on `seed` only, so base and query sets drawn with different
 * `pointSeed`s share them.
 */
export function clustered(
  seed: number,
  n: number,
  dim: number,
  pointSeed = seed,
  clusters = 64,
): Float32Array[] {
  const shape = mulberry32(seed);
  const centres = Array.from({ length: clusters }, () =>
    Float32Array.from({ length: dim }, () => shape() * 2 - 1),
  );
  const latent = 8;
  const basis = Array.from({ length: latent }, () => Float32Array.from({ length: dim }, () => shape() - 0.5));
  const random = mulberry32(pointSeed ^ 0x9e3779b9);
  return Array.from({ length: n }, () => {
    const centre = centres[Math.floor(random() * clusters)] ?? new Float32Array(dim);
    const v = Float32Array.from(centre, (x) => x + (random() - 0.5) * 0.05);
    for (const axis of basis) {
      const z = (random() - 0.5) * 1.5;
      for (let i = 0; i < dim; i++) v[i] = (v[i] ?? 0) + z * (axis[i] ?? 0);
    }
    return v;
  });
}

/** Mean fraction of each exact top-k found by the approximate top-k. */
export function recall(
  approximate: readonly (readonly { id: number }[])[],
  exact: readonly (readonly { id: number }[])[],
): number {
  let found = 0;
  let total = 0;
  exact.forEach((truth, q) => {
    const got = new Set((approximate[q] ?? []).map((hit) => hit.id));
    for (const hit of truth) if (got.has(hit.id)) found++;
    total += truth.length;
  });
  return total === 0 ? 1 : found / total;
}
