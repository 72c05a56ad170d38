import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../kernel/index.js';
import { FlatIndex } from './flat-index.js';
import { clustered } from './test-data.js';
import { metrics } from './types.js';

function bruteForce(data: Float32Array[], ids: number[], q: Float32Array, k: number): number[] {
  const d = ids.map((id) => {
    const v = data[id] ?? new Float32Array();
    return { id, d: v.reduce((s, x, i) => s + (x - (q[i] ?? 0)) ** 2, 0) };
  });
  return d
    .sort((x, y) => x.d - y.d)
    .slice(0, k)
    .map((x) => x.id);
}

describe('FlatIndex', () => {
  for (const backend of ['wasm-simd', 'js'] as const) {
    it(`returns the exact top k, and the same on both backends (${backend})`, () => {
      const data = clustered(1, 500, 24);
      const queries = clustered(1, 20, 24, 2);
      const index = new FlatIndex({ dimension: 24, metric: 'euclidean', backend, capacity: 16 });
      data.forEach((v, id) => {
        index.upsert(id, v);
      });
      const ids = data.map((_, id) => id);
      for (const q of queries) {
        assert.deepEqual(
          index.search(q, 10).map((h) => h.id),
          bruteForce(data, ids, q, 10),
        );
      }
    });
  }

  it('never returns a deleted id and keeps the others exact after the hole is refilled', () => {
    const data = clustered(3, 300, 16);
    const index = new FlatIndex({ dimension: 16, metric: 'euclidean' });
    data.forEach((v, id) => {
      index.upsert(id, v);
    });
    const live = data.map((_, id) => id).filter((id) => id % 3 !== 0);
    for (let id = 0; id < data.length; id += 3) assert.equal(index.delete(id), true);
    assert.equal(index.delete(0), false);
    assert.equal(index.size, live.length);
    for (const q of clustered(3, 10, 16, 4)) {
      assert.deepEqual(
        index.search(q, 15).map((h) => h.id),
        bruteForce(data, live, q, 15),
      );
    }
  });

  it('sorts hits nearest first for every metric, cosine on normalised vectors', () => {
    for (const metric of metrics) {
      const index = new FlatIndex({ dimension: 3, metric });
      index.upsert(1, [1, 0, 0]);
      index.upsert(2, [0, 2, 0]);
      index.upsert(3, [1, 1, 0]);
      const hits = index.search([3, 0.1, 0], 3);
      assert.equal(hits.length, 3);
      assert.ok((hits[0]?.distance ?? 0) <= (hits[1]?.distance ?? 0), metric);
      if (metric === 'cosine') assert.equal(hits[0]?.id, 1);
    }
  });

  it('rejects a wrong dimension and non-finite components with INVALID_ARGUMENT', () => {
    const index = new FlatIndex({ dimension: 2, metric: 'dot' });
    for (const bad of [[1], [1, Number.NaN], [Infinity, 1]]) {
      assert.throws(
        () => {
          index.upsert(1, bad);
        },
        (e: unknown) => isStrataError(e) && e.code === 'INVALID_ARGUMENT',
      );
    }
    assert.equal(index.size, 0);
  });
});
