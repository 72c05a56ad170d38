import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlatIndex } from './flat-index.js';
import { HnswIndex } from './hnsw-index.js';
import { clustered, recall } from './test-data.js';
import { metrics, searchTrace, type SearchHit, type SearchTrace } from './types.js';

const dim = 32;

function exactTopK(
  data: Map<number, Float32Array>,
  metric: (typeof metrics)[number],
  queries: Float32Array[],
) {
  const oracle = new FlatIndex({ dimension: dim, metric });
  for (const [id, v] of data) oracle.upsert(id, v);
  return queries.map((q) => oracle.search(q, 10));
}

describe('HnswIndex', () => {
  const base = clustered(11, 8000, dim);
  const queries = clustered(11, 200, dim, 12);

  for (const metric of metrics) {
    it(`reaches recall@10 >= 0.95 against the exact index (${metric})`, () => {
      const index = new HnswIndex({ dimension: dim, metric, m: 12, efConstruction: 100 });
      base.forEach((v, id) => {
        index.upsert(id, v);
      });
      assert.equal(index.backend, 'wasm-simd');
      const got = queries.map((q) => index.search(q, 10, { ef: 64 }));
      const r = recall(got, exactTopK(new Map(base.entries()), metric, queries));
      assert.ok(r >= 0.95, `recall@10 ${r}`);
    });
  }

  it('builds the same graph and returns the same hits on the WebAssembly and TypeScript paths', () => {
    const small = clustered(21, 1500, 20);
    const qs = clustered(21, 30, 20, 22);
    const run = (backend: 'wasm-simd' | 'js'): SearchHit[][] => {
      const index = new HnswIndex({ dimension: 20, metric: 'euclidean', backend, m: 8, capacity: 100 });
      small.forEach((v, id) => {
        index.upsert(id, v);
      });
      for (let id = 0; id < 300; id += 7) index.delete(id);
      return qs.map((q) => index.search(q, 10, { ef: 40 }));
    };
    assert.deepEqual(run('js'), run('wasm-simd'));
  });

  it('counts the distances of a search alike on the WebAssembly and TypeScript paths (explain)', () => {
    const small = clustered(23, 1500, 20);
    const qs = clustered(23, 10, 20, 24);
    const even = { ids: Array.from({ length: 750 }, (_, i) => 2 * i) };
    const run = (backend: 'wasm-simd' | 'js'): { hits: SearchHit[]; trace: SearchTrace }[] => {
      const index = new HnswIndex({ dimension: 20, metric: 'cosine', backend, m: 8 });
      small.forEach((v, id) => {
        index.upsert(id, v);
      });
      index.delete(4);
      return qs.flatMap((q) =>
        [{ ef: 40 }, { ef: 40, filter: even }, { exact: true }, { exact: true, filter: even }].map(
          (options) => {
            const trace = searchTrace();
            return { hits: index.search(q, 10, { ...options, trace }), trace };
          },
        ),
      );
    };
    const js = run('js');
    assert.deepEqual(js, run('wasm-simd'));
    for (const [i, { trace }] of js.entries()) {
      const [mode, scanned] = [
        ['graph', undefined],
        ['graph', undefined],
        ['scan', 1499],
        ['scan', 749],
      ][i % 4] as ['graph' | 'scan', number | undefined];
      assert.equal(trace.mode, mode);
      // An exact scan measures every allowed live point once; a walk far fewer than all of them.
      if (scanned !== undefined) assert.equal(trace.scored, scanned);
      else assert.ok(trace.scored > 10 && trace.scored < 1000, `scored ${String(trace.scored)}`);
    }
  });

  it('reuses the allow mask of the same id list only while the index is unchanged', () => {
    const index = new HnswIndex({ dimension: dim, metric: 'euclidean', compactionThreshold: 0 });
    base.slice(0, 2000).forEach((v, id) => {
      index.upsert(id, v);
    });
    const low = { ids: Array.from({ length: 300 }, (_, i) => i) };
    const high = { ids: Array.from({ length: 300 }, (_, i) => 1000 + i) };
    const q = queries[0] ?? new Float32Array(dim);
    const fresh = (filter: { ids: number[] }) =>
      index.search(q, 5, { ef: 64, filter: { ids: [...filter.ids] } });
    for (const filter of [low, low, high, low])
      assert.deepEqual(index.search(q, 5, { ef: 64, filter }), fresh(filter));
    // A point deleted and one added after the mask was written: the same list must see both.
    const [nearest] = index.search(q, 1, { filter: low });
    index.delete(nearest?.id ?? -1);
    index.upsert(5000, q);
    const after = index.search(q, 5, { ef: 64, filter: low });
    assert.ok(!after.some((hit) => hit.id === nearest?.id || hit.id === 5000));
    assert.deepEqual(after, fresh(low));
  });

  it('never returns a deleted point, even at a large ef', () => {
    const index = new HnswIndex({ dimension: dim, metric: 'euclidean', compactionThreshold: 0 });
    const data = base.slice(0, 3000);
    data.forEach((v, id) => {
      index.upsert(id, v);
    });
    for (let id = 0; id < data.length; id += 2) index.delete(id);
    for (const q of queries.slice(0, 50)) {
      for (const hit of index.search(q, 50, { ef: 300 })) assert.equal(hit.id % 2, 1);
    }
    // A query equal to a deleted point finds its live neighbours instead.
    const hits = index.search(data[0] ?? [], 5);
    assert.equal(hits.length, 5);
    assert.ok(hits.every((h) => h.id % 2 === 1));
  });

  it('replaces the vector of an id that is upserted again', () => {
    const index = new HnswIndex({ dimension: 2, metric: 'euclidean' });
    index.upsert(7, [0, 0]);
    index.upsert(8, [5, 5]);
    index.upsert(7, [10, 10]);
    assert.equal(index.size, 2);
    assert.deepEqual(
      index.search([10, 10], 2).map((h) => h.id),
      [7, 8],
    );
  });

  it('keeps recall@10 >= 0.95 and fresh-build memory after deleting half and inserting as many', () => {
    const n = 6000;
    const all = clustered(31, 2 * n, dim);
    const churned = new HnswIndex({ dimension: dim, metric: 'euclidean', capacity: n });
    for (let id = 0; id < n; id++) churned.upsert(id, all[id] ?? []);
    for (let id = 0; id < n; id += 2) churned.delete(id);
    for (let id = n; id < n + n / 2; id++) churned.upsert(id, all[id] ?? []);
    churned.compact();

    const live = new Map<number, Float32Array>();
    for (let id = 1; id < n; id += 2) live.set(id, all[id] ?? new Float32Array(dim));
    for (let id = n; id < n + n / 2; id++) live.set(id, all[id] ?? new Float32Array(dim));
    const fresh = new HnswIndex({ dimension: dim, metric: 'euclidean', capacity: n });
    for (const [id, v] of live) fresh.upsert(id, v);

    assert.equal(churned.size, live.size);
    const churnQueries = clustered(31, 200, dim, 32);
    const got = churnQueries.map((q) => churned.search(q, 10, { ef: 64 }));
    const r = recall(got, exactTopK(live, 'euclidean', churnQueries));
    assert.ok(r >= 0.95, `recall@10 after churn ${r}`);
    const ratio = churned.memoryBytes() / fresh.memoryBytes();
    assert.ok(ratio <= 1.1, `memory ${churned.memoryBytes()} vs fresh ${fresh.memoryBytes()}`);
  });
});
