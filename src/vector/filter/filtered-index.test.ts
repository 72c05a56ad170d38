// The indexes' own filtered and exact search (SearchOptions.filter / exact), under the planner.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlatIndex } from '../flat-index.js';
import { HnswIndex } from '../hnsw-index.js';
import { clustered } from '../test-data.js';
import type { Backend, SearchHit } from '../types.js';

const dim = 16;
const data = clustered(51, 3000, dim);
const queries = clustered(51, 20, dim, 52);
const allowed = (id: number): boolean => id % 7 === 3 || id % 11 === 0;
const backends: Backend[] = ['wasm-simd', 'js'];

function hnsw(backend: Backend): HnswIndex {
  const index = new HnswIndex({ dimension: dim, metric: 'euclidean', m: 8, backend, compactionThreshold: 0 });
  data.forEach((v, id) => {
    index.upsert(id, v);
  });
  for (let id = 0; id < data.length; id += 5) index.delete(id);
  return index;
}

describe('filtered search in the indexes', () => {
  for (const backend of backends) {
    it(`FlatIndex scans only allowed ids, exactly (${backend})`, () => {
      const all = new FlatIndex({ dimension: dim, metric: 'euclidean', backend });
      const only = new FlatIndex({ dimension: dim, metric: 'euclidean', backend });
      data.forEach((v, id) => {
        all.upsert(id, v);
        if (allowed(id)) only.upsert(id, v);
      });
      for (const q of queries) {
        assert.deepEqual(all.search(q, 10, { filter: allowed }), only.search(q, 10));
        const ids = [...Array(data.length).keys()].filter(allowed);
        assert.deepEqual(all.search(q, 10, { filter: { ids } }), only.search(q, 10));
      }
      assert.deepEqual(all.search(queries[0] ?? [], 5, { filter: { ids: [] } }), []);
    });

    it(`HnswIndex never returns a disallowed or deleted id; exact mode equals the flat index (${backend})`, () => {
      const index = hnsw(backend);
      const oracle = new FlatIndex({ dimension: dim, metric: 'euclidean', backend });
      data.forEach((v, id) => {
        if (id % 5 !== 0 && allowed(id)) oracle.upsert(id, v);
      });
      for (const q of queries) {
        for (const hit of index.search(q, 20, { ef: 100, filter: allowed })) {
          assert.ok(allowed(hit.id) && hit.id % 5 !== 0, `hit ${hit.id}`);
        }
        assert.deepEqual(index.search(q, 10, { filter: allowed, exact: true }), oracle.search(q, 10));
      }
      assert.deepEqual(index.search(queries[0] ?? [], 5, { filter: () => false }), []);
      assert.deepEqual(index.search(queries[0] ?? [], 5, { filter: { ids: [0, 5, 10, 99_999] } }), []);
    });
  }

  it('returns the same filtered hits on the WebAssembly and TypeScript paths', () => {
    const run = (backend: Backend): SearchHit[][] => {
      const index = hnsw(backend);
      const ids = [...Array(data.length).keys()].filter((id) => id % 3 === 0);
      return queries.flatMap((q) => [
        index.search(q, 10, { ef: 40, filter: allowed }),
        index.search(q, 10, { ef: 40, filter: { ids } }),
        index.search(q, 10, { exact: true }),
      ]);
    };
    assert.deepEqual(run('js'), run('wasm-simd'));
  });
});
