import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { FlatIndex } from '../flat-index.js';
import { clustered, recall } from '../test-data.js';
import { metrics, type Metric, type SearchHit } from '../types.js';
import { IvfFlatIndex } from './ivf-flat-index.js';

const dim = 32;
const base = clustered(11, 3000, dim);
const queries = clustered(11, 100, dim, 12);

function oracle(metric: Metric, data: readonly Float32Array[] = base): FlatIndex {
  const flat = new FlatIndex({ dimension: dim, metric });
  data.forEach((v, id) => {
    flat.upsert(id, v);
  });
  return flat;
}

function build(metric: Metric): IvfFlatIndex {
  const index = new IvfFlatIndex({ dimension: dim, metric, nlist: 32, seed: 5 });
  base.forEach((v, id) => {
    index.upsert(id, v);
  });
  return index;
}

const invalid = (e: unknown): boolean => isStrataError(e) && e.code === 'INVALID_ARGUMENT';

describe('IvfFlatIndex', () => {
  for (const metric of metrics) {
    it(`raises recall@10 with nprobe and is exact at nprobe = nlist (${metric})`, () => {
      const index = build(metric);
      assert.equal(index.trained, true);
      const truth = queries.map((q) => oracle(metric).search(q, 10));
      const at = (nprobe: number): number =>
        recall(
          queries.map((q) => index.search(q, 10, { nprobe })),
          truth,
        );
      const r1 = at(1);
      const r4 = at(4);
      const r32 = at(32);
      assert.ok(r1 <= r4 && r4 <= r32, `recall ${r1} → ${r4} → ${r32}`);
      assert.ok(r4 >= 0.8, `recall@10 at nprobe 4: ${r4}`);
      assert.equal(r32, 1);
      assert.deepEqual(
        queries.slice(0, 5).map((q) => index.search(q, 10, { exact: true }).map((h) => h.id)),
        truth.slice(0, 5).map((hits) => hits.map((h) => h.id)),
      );
    });
  }

  it('answers by exact scan before training, then trains on the first trainingSize points', () => {
    const index = new IvfFlatIndex({ dimension: dim, metric: 'euclidean', nlist: 8, trainingSize: 400 });
    base.slice(0, 399).forEach((v, id) => {
      index.upsert(id, v);
    });
    assert.equal(index.trained, false);
    const flat = oracle('euclidean', base.slice(0, 399));
    const ids = (hits: SearchHit[]): number[] => hits.map((h) => h.id);
    for (const q of queries.slice(0, 10)) assert.deepEqual(ids(index.search(q, 10)), ids(flat.search(q, 10)));
    index.upsert(399, base[399] ?? []);
    assert.equal(index.trained, true);
    assert.equal(index.size, 400);
    assert.deepEqual(index.search(base[17] ?? [], 1), [{ id: 17, distance: 0 }]);
  });

  it('trains on an explicit sample and moves the points it held into their lists', () => {
    const index = new IvfFlatIndex({ dimension: dim, metric: 'cosine', nlist: 16 });
    base.slice(0, 100).forEach((v, id) => {
      index.upsert(id, v);
    });
    index.train(base.slice(100, 1100));
    assert.equal(index.trained, true);
    base.slice(100, 1000).forEach((v, i) => {
      index.upsert(100 + i, v);
    });
    assert.equal(index.size, 1000);
    for (const id of [0, 50, 99, 500])
      assert.equal(index.search(base[id] ?? [], 1, { nprobe: 16 })[0]?.id, id);
    assert.throws(() => {
      index.train(base.slice(0, 100));
    }, invalid);
    assert.throws(() => {
      new IvfFlatIndex({ dimension: dim, metric: 'cosine', nlist: 16 }).train(base.slice(0, 15));
    }, invalid);
  });

  it('returns only allowed ids, and still k of them under a selective filter', () => {
    const index = build('euclidean');
    for (const q of queries.slice(0, 20)) {
      const hits = index.search(q, 10, { nprobe: 1, filter: (id) => id % 50 === 0 });
      assert.equal(hits.length, 10);
      assert.ok(hits.every((h) => h.id % 50 === 0));
      const listed = index.search(q, 10, { nprobe: 1, filter: { ids: [3, 5, 7, 1_000_000] } });
      assert.deepEqual(listed.map((h) => h.id).sort(), [3, 5, 7]);
    }
  });

  it('forgets deleted points, replaces re-upserted ones, and gives memory back on compact', () => {
    const index = build('euclidean');
    const before = index.memoryBytes();
    for (let id = 0; id < base.length; id += 2) assert.equal(index.delete(id), true);
    assert.equal(index.size, 1500);
    for (const q of queries.slice(0, 20)) {
      assert.ok(index.search(q, 20, { nprobe: 32 }).every((h) => h.id % 2 === 1));
    }
    index.upsert(1, base[2] ?? []);
    assert.equal(index.search(base[2] ?? [], 1)[0]?.id, 1);
    index.compact();
    assert.ok(index.memoryBytes() < before * 0.7, `${index.memoryBytes()} of ${before} bytes`);
    // Lists: 4 · dim bytes of vector + an 8-byte id per point, plus the id map.
    // Plus the 64 KiB engine page that holds the centroids for assignment (NearestRows).
    assert.ok(index.memoryBytes() / index.size < 4 * dim + 8 + 60 + 65536 / index.size);
  });

  it('rejects bad options with INVALID_ARGUMENT', () => {
    assert.throws(() => new IvfFlatIndex({ dimension: 4, metric: 'dot', nlist: 0 }), invalid);
    assert.throws(() => new IvfFlatIndex({ dimension: 4, metric: 'dot', nlist: 8, nprobe: 9 }), invalid);
    assert.throws(
      () => new IvfFlatIndex({ dimension: 4, metric: 'dot', nlist: 8, trainingSize: 7 }),
      invalid,
    );
  });
});
