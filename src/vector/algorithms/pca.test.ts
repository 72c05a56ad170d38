import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { mulberry32 } from '../random.js';
import { fitPca, jacobiEigen, pcaFromJson, pcaInverse, pcaToJson, pcaTransform } from './pca.js';

/** n rows of exact rank r in d dimensions (plus an offset), from seeded random factors. */
function lowRank(seed: number, n: number, d: number, r: number): Float32Array {
  const random = mulberry32(seed);
  const offset = Float64Array.from({ length: d }, () => random() * 4 - 2);
  const factors = Array.from({ length: r }, () => Float64Array.from({ length: d }, () => random() - 0.5));
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: r }, (_, c) => (random() - 0.5) * (r - c) * 3);
    for (let j = 0; j < d; j++) {
      let x = offset[j] ?? 0;
      for (let c = 0; c < r; c++) x += (z[c] ?? 0) * (factors[c]?.[j] ?? 0);
      data[i * d + j] = x;
    }
  }
  return data;
}

describe('pca', () => {
  it('recovers rank-r data: all variance explained, reconstruction error near zero', () => {
    const d = 16;
    const data = lowRank(3, 500, d, 3);
    const model = fitPca(data, d, { components: 3 });
    assert.ok(model.explainedVarianceRatio > 0.999999, `explained ${model.explainedVarianceRatio}`);
    let worst = 0;
    for (let i = 0; i < 500; i++) {
      const row = data.subarray(i * d, i * d + d);
      const back = pcaInverse(model, pcaTransform(model, row));
      for (let j = 0; j < d; j++) worst = Math.max(worst, Math.abs((back[j] ?? 0) - (row[j] ?? 0)));
    }
    assert.ok(worst < 1e-4, `worst reconstruction error ${worst}`);
    // Two components leave the third factor's variance out.
    const two = fitPca(data, d, { components: 2 });
    assert.ok(two.explainedVarianceRatio < 0.99, `explained ${two.explainedVarianceRatio}`);
    assert.ok((two.variances[0] ?? 0) >= (two.variances[1] ?? 0));
  });

  it('returns orthonormal components ordered by variance', () => {
    const d = 12;
    const model = fitPca(lowRank(8, 400, d, 6), d, { components: 6, sample: 300, seed: 2 });
    for (let a = 0; a < 6; a++) {
      for (let b = 0; b < 6; b++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (model.basis[a * d + j] ?? 0) * (model.basis[b * d + j] ?? 0);
        assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-9, `<c${a}, c${b}> = ${dot}`);
      }
      if (a > 0) assert.ok((model.variances[a - 1] ?? 0) >= (model.variances[a] ?? 0));
    }
  });

  it('finds the axis variances of independent coordinates', () => {
    const random = mulberry32(5);
    const n = 4000;
    const scales = [1, 5, 2];
    const data = new Float32Array(n * 3);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < 3; j++) data[i * 3 + j] = (random() - 0.5) * (scales[j] ?? 0);
    const model = fitPca(data, 3, { components: 1 });
    // The first component is the y axis, whose variance is 5² / 12.
    assert.ok(Math.abs(Math.abs(model.basis[1] ?? 0) - 1) < 1e-3, `basis ${[...model.basis].join(', ')}`);
    assert.ok(Math.abs((model.variances[0] ?? 0) - 25 / 12) < 0.1, `variance ${model.variances[0]}`);
  });

  it('diagonalises a symmetric matrix exactly (Jacobi)', () => {
    const a = Float64Array.from([4, 1, 2, 1, 3, 0, 2, 0, 5]);
    const copy = Float64Array.from(a);
    const { values, vectors } = jacobiEigen(copy, 3);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 3; i++) {
        let av = 0;
        for (let j = 0; j < 3; j++) av += (a[i * 3 + j] ?? 0) * (vectors[j * 3 + c] ?? 0);
        assert.ok(Math.abs(av - (values[c] ?? 0) * (vectors[i * 3 + c] ?? 0)) < 1e-12);
      }
    }
  });

  it('round-trips through JSON, to be stored with a collection', () => {
    const model = fitPca(lowRank(2, 100, 6, 3), 6, { components: 2 });
    const back = pcaFromJson(JSON.parse(JSON.stringify(pcaToJson(model))) as ReturnType<typeof pcaToJson>);
    assert.deepEqual(back, model);
    assert.throws(
      () => pcaFromJson({ ...pcaToJson(model), basis: [1, 2] }),
      (e: unknown) => isStrataError(e) && e.code === 'INVALID_ARGUMENT',
    );
  });

  it('rejects a component count outside [1, dimension] with INVALID_ARGUMENT', () => {
    const invalid = (e: unknown): boolean => isStrataError(e) && e.code === 'INVALID_ARGUMENT';
    const data = lowRank(1, 10, 4, 2);
    assert.throws(() => fitPca(data, 4, { components: 0 }), invalid);
    assert.throws(() => fitPca(data, 4, { components: 5 }), invalid);
  });
});
