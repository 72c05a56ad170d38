import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { fitPca } from '../algorithms/pca.js';
import { vectorIndexConformance } from '../conformance.js';
import { FlatIndex } from '../flat-index.js';
import { IvfFlatIndex } from '../ivf/ivf-flat-index.js';
import { writeVector } from '../metric.js';
import { mulberry32 } from '../random.js';
import { clustered, recall } from '../test-data.js';
import { metrics, type Metric } from '../types.js';
import { PcaIndex } from './pca-index.js';

const flatInner = (dimension: number, metric: Metric) => new FlatIndex({ dimension, metric });

// A full-rank model (components = dimension) is a rotation: the suite's exact expectations hold.
vectorIndexConformance('PcaIndex over FlatIndex (js)', (dimension, metric) => {
  const random = mulberry32(dimension);
  const sample = Float32Array.from({ length: 64 * dimension }, () => random() * 2 - 1);
  const model = fitPca(sample, dimension, { components: dimension });
  return new PcaIndex({ metric, model, inner: flatInner });
});

const dim = 32;
const base = clustered(11, 3000, dim);
const queries = clustered(11, 100, dim, 12);

function fitted(metric: Metric, components: number) {
  const packed = new Float32Array(1000 * dim);
  base.slice(0, 1000).forEach((v, i) => {
    writeVector(packed, i * dim, v, metric);
  });
  return fitPca(packed, dim, { components, seed: 3 });
}

function truth(metric: Metric) {
  const flat = new FlatIndex({ dimension: dim, metric });
  base.forEach((v, id) => {
    flat.upsert(id, v);
  });
  return queries.map((q) => flat.search(q, 10));
}

describe('PcaIndex', () => {
  for (const metric of metrics) {
    it(`keeps recall@10 >= 0.99 with rescoring at half the dimension (${metric})`, () => {
      const model = fitted(metric, 16);
      const exact = truth(metric);
      const rescored = new PcaIndex({ metric, model, inner: flatInner });
      base.forEach((v, id) => {
        rescored.upsert(id, v);
      });
      const r = recall(
        queries.map((q) => rescored.search(q, 10)),
        exact,
      );
      assert.ok(r >= 0.99, `recall@10 with rescoring ${r}`);
      if (metric === 'manhattan') return;
      const reduced = new PcaIndex({ metric, model, inner: flatInner, rescore: false });
      base.forEach((v, id) => {
        reduced.upsert(id, v);
      });
      const plain = recall(
        queries.map((q) => reduced.search(q, 10)),
        exact,
      );
      assert.ok(plain >= 0.75, `recall@10 from 16 of 32 dimensions alone ${plain}`);
    });
  }

  it('reports true distances from the reduced space when the data has the rank kept', () => {
    // Points on an 8-dimensional affine subspace of 32 dimensions: 8 components lose nothing.
    const random = mulberry32(4);
    const axes = Array.from({ length: 8 }, () => Float32Array.from({ length: dim }, () => random() - 0.5));
    const rows = Array.from({ length: 500 }, () => {
      const v = new Float32Array(dim).fill(0.25);
      for (const axis of axes) {
        const z = random() * 2 - 1;
        for (let j = 0; j < dim; j++) v[j] = (v[j] ?? 0) + z * (axis[j] ?? 0);
      }
      return v;
    });
    const packed = new Float32Array(500 * dim);
    rows.forEach((v, i) => {
      packed.set(v, i * dim);
    });
    const model = fitPca(packed, dim, { components: 8 });
    const index = new PcaIndex({ metric: 'euclidean', model, inner: flatInner, rescore: false });
    const oracle = new FlatIndex({ dimension: dim, metric: 'euclidean' });
    rows.forEach((v, id) => {
      index.upsert(id, v);
      oracle.upsert(id, v);
    });
    for (const q of rows.slice(0, 10)) {
      const got = index.search(q, 5);
      const want = oracle.search(q, 5);
      assert.deepEqual(
        got.map((h) => h.id),
        want.map((h) => h.id),
      );
      got.forEach((h, i) => {
        assert.ok(Math.abs(h.distance - (want[i]?.distance ?? 0)) < 1e-3);
      });
    }
    // 8 of 32 floats per vector in the inner index.
    assert.ok(index.memoryBytes() < oracle.memoryBytes());
  });

  it('composes with an approximate inner index (IVF-Flat)', () => {
    const model = fitted('euclidean', 16);
    const index = new PcaIndex({
      metric: 'euclidean',
      model,
      inner: (dimension, metric) => new IvfFlatIndex({ dimension, metric, nlist: 16 }),
    });
    base.forEach((v, id) => {
      index.upsert(id, v);
    });
    assert.equal(index.kind, 'ivf_flat');
    const r = recall(
      queries.map((q) => index.search(q, 10, { nprobe: 4 })),
      truth('euclidean'),
    );
    assert.ok(r >= 0.9, `recall@10 ${r}`);
  });

  it('refuses a manhattan index without rescoring, with INVALID_ARGUMENT', () => {
    assert.throws(
      () =>
        new PcaIndex({
          metric: 'manhattan',
          model: fitted('manhattan', 4),
          inner: flatInner,
          rescore: false,
        }),
      (e: unknown) => isStrataError(e) && e.code === 'INVALID_ARGUMENT',
    );
  });
});
