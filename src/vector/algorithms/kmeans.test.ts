import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { mulberry32 } from '../random.js';
import { kmeans } from './kmeans.js';

/** n points in `blobs` tight Gaussian blobs whose centres lie far apart; returns data and true labels. */
function blobs(seed: number, n: number, d: number, count: number, spread = 0.05) {
  const random = mulberry32(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: count }, () =>
    Float64Array.from({ length: d }, () => random() * 20 - 10),
  );
  const data = new Float32Array(n * d);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % count;
    truth[i] = c;
    for (let j = 0; j < d; j++) data[i * d + j] = (centres[c]?.[j] ?? 0) + gauss() * spread;
  }
  return { data, truth };
}

/** Whether two labelings agree up to a renaming of the labels (a bijection). */
function samePartition(a: Int32Array, b: Int32Array): boolean {
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? -1;
    const y = b[i] ?? -1;
    if ((ab.get(x) ?? y) !== y || (ba.get(y) ?? x) !== x) return false;
    ab.set(x, y);
    ba.set(y, x);
  }
  return true;
}

describe('kmeans', () => {
  it('recovers well-separated Gaussian blobs exactly, up to label permutation', () => {
    for (const seed of [1, 2, 3]) {
      const { data, truth } = blobs(seed, 600, 8, 6);
      const result = kmeans(data, 8, { k: 6, seed });
      assert.ok(samePartition(result.assignments, truth), `seed ${seed}`);
      assert.deepEqual([...result.sizes], [100, 100, 100, 100, 100, 100]);
    }
  });

  it('never lets the inertia rise from one iteration to the next', () => {
    // Overlapping blobs and more clusters than blobs make Lloyd's iterations run long.
    const { data } = blobs(7, 2000, 4, 5, 3);
    const result = kmeans(data, 4, { k: 20, seed: 7, maxIterations: 100, tolerance: 0 });
    assert.ok(result.history.length > 3, `only ${result.history.length} iterations`);
    for (let i = 1; i < result.history.length; i++) {
      const previous = result.history[i - 1] ?? 0;
      assert.ok(
        (result.history[i] ?? 0) <= previous * (1 + 1e-12),
        `iteration ${i}: ${result.history.join(', ')}`,
      );
    }
  });

  it('is deterministic for a seed, trains on a sample, and assigns every point', () => {
    const { data, truth } = blobs(5, 3000, 6, 4);
    const a = kmeans(data, 6, { k: 4, seed: 9, sample: 200 });
    const b = kmeans(data, 6, { k: 4, seed: 9, sample: 200 });
    assert.deepEqual(a.centroids, b.centroids);
    assert.equal(a.assignments.length, 3000);
    assert.ok(samePartition(a.assignments, truth));
  });

  it('repairs empty clusters: duplicate points still fill all k clusters', () => {
    // Four distinct points repeated: seeding may pick duplicates, which leave clusters empty.
    const rows = [0, 0, 0, 5, 5, 0, 5, 5].map((v) => v);
    const data = new Float32Array(400 * 2);
    for (let i = 0; i < 400; i++) data.set(rows.slice((i % 4) * 2, (i % 4) * 2 + 2), i * 2);
    const result = kmeans(data, 2, { k: 4, seed: 3 });
    assert.deepEqual([...result.sizes].sort(), [100, 100, 100, 100]);
    assert.equal(result.inertia, 0);
  });

  it('keeps centroids on the unit sphere when spherical', () => {
    const { data } = blobs(4, 300, 3, 3);
    for (let i = 0; i < 300; i++) {
      const norm = Math.hypot(data[i * 3] ?? 0, data[i * 3 + 1] ?? 0, data[i * 3 + 2] ?? 0);
      for (let j = 0; j < 3; j++) data[i * 3 + j] = (data[i * 3 + j] ?? 0) / norm;
    }
    const { centroids } = kmeans(data, 3, { k: 3, spherical: true });
    for (let c = 0; c < 3; c++) {
      const norm = Math.hypot(centroids[c * 3] ?? 0, centroids[c * 3 + 1] ?? 0, centroids[c * 3 + 2] ?? 0);
      assert.ok(Math.abs(norm - 1) < 1e-6, `centroid ${c} has norm ${norm}`);
    }
  });

  it('rejects k < 1 and k > points with INVALID_ARGUMENT', () => {
    const invalid = (e: unknown): boolean => isStrataError(e) && e.code === 'INVALID_ARGUMENT';
    const data = new Float32Array(10 * 2);
    assert.throws(() => kmeans(data, 2, { k: 0 }), invalid);
    assert.throws(() => kmeans(data, 2, { k: 1.5 }), invalid);
    assert.throws(() => kmeans(data, 2, { k: 11 }), invalid);
  });
});
