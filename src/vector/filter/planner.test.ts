// Filtered search against brute force (STYLE.md §4): recall@10 at selectivities from 1% to 90%,
// on both backends, with and without payload indexes, through the planner's choice and through
// each path forced.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HnswIndex } from '../hnsw-index.js';
import { mulberry32 } from '../random.js';
import { clustered, recall } from '../test-data.js';
import { searchTrace, type Backend, type SearchHit, type SearchTrace } from '../types.js';
import { matchesFilter } from './match.js';
import { parseFilter } from './parse.js';
import { PayloadIndexes } from './payload-indexes.js';
import { filteredSearch, matchingPoints, searchMatching, type FilterSource } from './planner.js';
import type { Filter, Payload } from './types.js';

const n = 10_000;
const dim = 32;
const k = 10;
const base = clustered(41, n, dim);
const queries = clustered(41, 40, dim, 42);
const random = mulberry32(43);
const payloads: Payload[] = base.map(() => ({
  group: Math.floor(random() * 100),
  tag: `t${Math.floor(random() * 10)}`,
  price: Math.round(random() * 10_000) / 100,
}));
// Internal ids are offset from point ids so that a mix-up between the two cannot pass.
const source: FilterSource = {
  internalIds: () => payloads.keys(),
  point: (internal) => {
    const payload = payloads[internal];
    return payload === undefined ? undefined : { id: internal + 1_000_000, payload };
  },
  internalOf: (id) => (typeof id === 'number' && id >= 1_000_000 ? id - 1_000_000 : undefined),
};

function bruteForce(query: Float32Array, filter: Filter): SearchHit[] {
  const hits: SearchHit[] = [];
  base.forEach((v, i) => {
    if (!matchesFilter(filter, i + 1_000_000, payloads[i] ?? {})) return;
    let d = 0;
    for (let j = 0; j < dim; j++) d += ((v[j] ?? 0) - (query[j] ?? 0)) ** 2;
    hits.push({ id: i, distance: d });
  });
  return hits.sort((a, b) => a.distance - b.distance).slice(0, k);
}

const selectivities: [string, unknown][] = [
  ['1%', { must: { key: 'group', range: { lt: 1 } } }],
  ['10%', { must: { key: 'tag', match: { value: 't3' } } }],
  ['50%', { must: [{ key: 'group', range: { gte: 20 } }], must_not: { key: 'group', range: { gte: 70 } } }],
  [
    '90%',
    {
      should: [
        { key: 'tag', match: { except: ['t0'] } },
        { key: 'price', range: { gt: 1000 } },
      ],
    },
  ],
];

function buildIndexes(): PayloadIndexes {
  const indexes = new PayloadIndexes();
  indexes.create('group', 'integer', payloads.entries());
  indexes.create('tag', 'keyword', payloads.entries());
  indexes.create('price', 'float', payloads.entries());
  return indexes;
}

for (const backend of ['wasm-simd', 'js'] as Backend[]) {
  describe(`filteredSearch (${backend})`, () => {
    const index = new HnswIndex({ dimension: dim, metric: 'euclidean', m: 12, efConstruction: 80, backend });
    base.forEach((v, i) => {
      index.upsert(i, v);
    });
    const configs = [
      { name: 'no payload index', indexes: new PayloadIndexes() },
      { name: 'payload indexes', indexes: buildIndexes() },
    ];
    it('gives a batch sharing each matching set the results of single searches', () => {
      const indexes = buildIndexes();
      const filters = selectivities.map(([, json]) => parseFilter(json));
      const options = { k, ef: 32, fullScanThreshold: 500 };
      const single = queries.map((q, i) => {
        const filter = filters[i % filters.length] ?? {};
        return filteredSearch(index, q, filter, indexes, source, options);
      });
      // As the batch runs them (store/batch.ts): one matching set per filter, its queries in a row.
      const shared = filters.map((filter) => matchingPoints(filter, indexes, source));
      const batched = new Array<ReturnType<typeof searchMatching>>(queries.length);
      shared.forEach((matching, f) => {
        queries.forEach((q, i) => {
          if (i % filters.length === f) batched[i] = searchMatching(index, q, matching, options);
        });
      });
      assert.deepEqual(batched, single);
      assert.deepEqual(
        new Set(single.map((result) => result.plan.path)),
        new Set(['exact-scan', 'filtered-graph']),
      );
    });

    it('traces the same plan and distances on both backends', () => {
      const traced = (on: HnswIndex): SearchTrace[] =>
        selectivities.map(([, json]) => {
          const trace = searchTrace();
          filteredSearch(
            on,
            queries[0] ?? new Float32Array(dim),
            parseFilter(json),
            new PayloadIndexes(),
            source,
            {
              k,
              ef: 32,
              fullScanThreshold: 500,
              trace,
            },
          );
          return trace;
        });
      const other = new HnswIndex({
        dimension: dim,
        metric: 'euclidean',
        m: 12,
        efConstruction: 80,
        backend: backend === 'js' ? 'wasm-simd' : 'js',
      });
      base.forEach((v, i) => {
        other.upsert(i, v);
      });
      const traces = traced(index);
      assert.deepEqual(traced(other), traces);
      for (const trace of traces) assert.ok(trace.scored > 0 && trace.scored <= n);
    });

    for (const [label, json] of selectivities) {
      const filter = parseFilter(json);
      const truth = queries.map((q) => bruteForce(q, filter));
      for (const { name, indexes } of configs) {
        it(`keeps recall@10 >= 0.95 at ${label} selectivity, ${name}`, () => {
          for (const fullScanThreshold of [10_000, 0]) {
            const paths = new Set<string>();
            const got = queries.map((q) => {
              const result = filteredSearch(index, q, filter, indexes, source, {
                k,
                ef: 32,
                fullScanThreshold,
              });
              paths.add(result.plan.path);
              for (const hit of result.hits) {
                assert.ok(matchesFilter(filter, hit.id + 1_000_000, payloads[hit.id] ?? {}), `hit ${hit.id}`);
              }
              return result.hits;
            });
            const r = recall(got, truth);
            console.log(backend, label, name, fullScanThreshold, r, [...paths].join());
            assert.ok(r >= 0.95, `recall@10 ${r} (${[...paths].join()}, threshold ${fullScanThreshold})`);
            if (fullScanThreshold === 0) assert.deepEqual([...paths], ['filtered-graph']);
          }
        });
      }
    }
  });
}
