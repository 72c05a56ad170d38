/**
 * Query plans through the official Qdrant client and raw REST (docs/decisions/0015): Strata's
 * `params.explain` on search and query, single and batched, reports the index, the filter path
 * the planner took and the distances scored; a batch answers what its searches answer alone; a
 * request without `explain` gets the bytes it got before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QdrantClient } from '@qdrant/js-client-rest';
import type { Platform } from '../src/platform/index.js';
import { mulberry32 } from '../src/vector/index.js';
import { startPlatform, tempDataDir } from './support/platform.js';

const dim = 16;
const size = 3000;
const random = mulberry32(15);
const vectors = Array.from({ length: size }, () => Array.from({ length: dim }, () => random() * 2 - 1));
const queryOf = (i: number): number[] => vectors[i]?.map((x) => x + 0.05) ?? [];

let platform: Platform;
let url: string;
let client: QdrantClient;

/** The explain object, as the REST API returns it. */
interface Explain {
  index: string;
  vectors: string;
  backend: string;
  search: string;
  ef: number | null;
  filter: {
    path: string;
    matching: number;
    full_scan_threshold: number;
    payload_index: boolean;
    reason: string;
  } | null;
  scored: number;
  scored_vectors: string;
  rescore: { candidates: number; oversampling: number | null } | null;
}
interface Point {
  id: string | number;
  score: number;
}

// 100 `rare` points (no payload index: payloads are read), 300 in each group (indexed), 1500 red.
const rare = { must: [{ key: 'rare', match: { value: true } }] };
const group = { must: [{ key: 'group', match: { value: 3 } }] };
const red = { must: [{ key: 'color', match: { value: 'red' } }] };
const nobody = { must: [{ key: 'group', match: { value: 99 } }] };

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

type QueryBody = Parameters<QdrantClient['query']>[1];

// The client's QueryResponse type has no `explain`; the field arrives all the same.
function query(collection: string, body: QueryBody): Promise<{ points: Point[]; explain?: Explain }> {
  return client.query(collection, body);
}

before(async () => {
  ({ platform, url } = await startPlatform(tempDataDir('plan'), ['vector'], {
    'vector.maxBatchSearches': '16',
  }));
  client = new QdrantClient({ url });
  await client.createCollection('plan', {
    vectors: { size: dim, distance: 'Euclid' },
    hnsw_config: { m: 8, full_scan_threshold: 500 },
  });
  await client.createPayloadIndex('plan', { field_name: 'group', field_schema: 'integer', wait: true });
  for (let from = 0; from < size; from += 500) {
    await client.upsert('plan', {
      wait: true,
      points: vectors.slice(from, from + 500).map((vector, j) => {
        const i = from + j;
        return {
          id: i,
          vector,
          payload: { rare: i < 100, group: i % 10, color: i % 2 === 0 ? 'red' : 'blue' },
        };
      }),
    });
  }
});

after(async () => {
  await platform.shutdown();
});

describe('explain', () => {
  it('reports a graph walk without a filter, and every point scored by an exact search', async () => {
    const { points, explain } = await query('plan', {
      query: queryOf(1),
      limit: 5,
      params: { explain: true },
    });
    assert.equal(points.length, 5);
    assert.ok(explain !== undefined);
    assert.equal(explain.index, 'hnsw');
    assert.equal(explain.vectors, 'float32');
    assert.equal(explain.search, 'graph');
    assert.equal(explain.ef, 64);
    assert.equal(explain.filter, null);
    assert.equal(explain.rescore, null);
    assert.ok(explain.scored > 5 && explain.scored < size, `scored ${String(explain.scored)}`);
    const exact = await query('plan', {
      query: queryOf(1),
      limit: 5,
      params: { explain: true, exact: true },
    });
    assert.equal(exact.explain?.search, 'exact_scan');
    assert.equal(exact.explain.scored, size);
    assert.deepEqual(exact.points, points);
  });

  it('names the path the planner took for each filter, and why', async () => {
    const explained = async (filter: Record<string, unknown>): Promise<Explain> => {
      const { explain } = await query('plan', {
        query: queryOf(2),
        limit: 5,
        filter,
        params: { explain: true },
      });
      assert.ok(explain?.filter);
      return explain;
    };
    const scanned = await explained(rare);
    assert.equal(scanned.search, 'exact_scan');
    assert.deepEqual(
      { ...scanned.filter, reason: undefined },
      {
        path: 'exact-scan',
        matching: 100,
        full_scan_threshold: 500,
        payload_index: false,
        reason: undefined,
      },
    );
    // An exact scan of the matching points scores each of them once.
    assert.equal(scanned.scored, 100);
    assert.match(scanned.filter?.reason ?? '', /100 matching points, at most the full scan threshold 500/);

    const indexed = await explained(group);
    assert.equal(indexed.filter?.path, 'exact-scan');
    assert.equal(indexed.filter.payload_index, true);
    assert.equal(indexed.scored, 300);

    const walked = await explained(red);
    assert.equal(walked.search, 'graph');
    assert.equal(walked.filter?.path, 'filtered-graph');
    assert.equal(walked.filter.matching, 1500);
    assert.ok((walked.ef ?? 0) > 64, 'ef widened for the selectivity');
    assert.match(
      walked.filter.reason,
      /over the full scan threshold 500.*ef widened to \d+ for a selectivity of 50\.0%/,
    );
    assert.ok(walked.scored > 0 && walked.scored <= size);

    const none = await explained(nobody);
    assert.equal(none.search, 'none');
    assert.equal(none.filter?.path, 'no-match');
    assert.equal(none.scored, 0);
  });

  it('goes beside `result` on /points/search and search/batch, one entry per search', async () => {
    const single = await post('/collections/plan/points/search', {
      vector: queryOf(3),
      limit: 3,
      filter: rare,
      params: { explain: true },
    });
    assert.equal(single.status, 200);
    assert.deepEqual(Object.keys(single.json), ['result', 'explain', 'status', 'time']);
    assert.equal((single.json['explain'] as Explain).filter?.path, 'exact-scan');
    const batch = await post('/collections/plan/points/search/batch', {
      searches: [
        { vector: queryOf(3), limit: 3 },
        { vector: queryOf(3), limit: 3, filter: red, params: { explain: true } },
      ],
    });
    const explains = batch.json['explain'] as (Explain | null)[];
    assert.equal(explains.length, 2);
    assert.equal(explains[0], null);
    assert.equal(explains[1]?.filter?.path, 'filtered-graph');
  });

  it('leaves the response as it was without explain, or with explain: false', async () => {
    for (const params of [undefined, { explain: false }]) {
      const search = await post('/collections/plan/points/search', { vector: queryOf(4), limit: 2, params });
      assert.deepEqual(Object.keys(search.json), ['result', 'status', 'time']);
      const batch = await post('/collections/plan/points/search/batch', {
        searches: [{ vector: queryOf(4), limit: 2, params }],
      });
      assert.deepEqual(Object.keys(batch.json), ['result', 'status', 'time']);
      const found = await query('plan', {
        query: queryOf(4),
        limit: 2,
        ...(params === undefined ? {} : { params }),
      });
      assert.deepEqual(Object.keys(found), ['points']);
    }
  });

  it('reports the codes walked and the candidates rescored on a quantized collection', async () => {
    await client.createCollection('plan-int8', {
      vectors: { size: dim, distance: 'Euclid' },
      quantization_config: { scalar: { type: 'int8' } },
      hnsw_config: { full_scan_threshold: 100 },
    });
    await client.upsert('plan-int8', {
      wait: true,
      points: vectors.slice(0, 1500).map((vector, id) => ({ id, vector })),
    });
    const { explain } = await query('plan-int8', {
      query: queryOf(5),
      limit: 5,
      params: { explain: true, quantization: { rescore: true, oversampling: 2 } },
    });
    assert.equal(explain?.vectors, 'int8');
    assert.equal(explain.scored_vectors, 'int8');
    assert.equal(explain.search, 'graph');
    assert.deepEqual(explain.rescore, { candidates: 10, oversampling: 2 });
    const exact = await query('plan-int8', {
      query: queryOf(5),
      limit: 5,
      params: { explain: true, exact: true },
    });
    assert.equal(exact.explain?.search, 'exact_scan');
    assert.equal(exact.explain.scored_vectors, 'float32');
    assert.equal(exact.explain.scored, 1500);
    // A batch over codes: filtered walks sharing an allow mask, and exact scans, as answered alone.
    const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + 2 * i);
    const walked = { must: [{ has_id: ids(0, 600) }] };
    const scanned = { must: [{ has_id: ids(1, 50) }] };
    const searches = Array.from({ length: 8 }, (_, i) => ({
      query: queryOf(20 + i),
      limit: 5,
      filter: i % 2 === 0 ? walked : scanned,
      params: { explain: true, quantization: { rescore: true, oversampling: 2 } },
    }));
    const batch = (await client.queryBatch('plan-int8', { searches })) as {
      points: Point[];
      explain?: Explain;
    }[];
    assert.deepEqual(batch, await Promise.all(searches.map((search) => query('plan-int8', search))));
    assert.deepEqual(
      batch.map(({ explain: e }) => [e?.filter?.path, e?.filter?.payload_index, e?.scored_vectors]),
      searches.map((_, i) =>
        i % 2 === 0 ? ['filtered-graph', true, 'int8'] : ['exact-scan', true, 'float32'],
      ),
    );
  });

  it('is offered by GraphQL as explainSearch, beside the points search returns', async () => {
    const { status, json } = await post('/graphql', {
      query: `{
        search(collection: "plan", vector: ${JSON.stringify(queryOf(6))}, limit: 3, filter: { must: [{ key: "rare", match: { value: true } }] }) { id score }
        explainSearch(collection: "plan", vector: ${JSON.stringify(queryOf(6))}, limit: 3, filter: { must: [{ key: "rare", match: { value: true } }] }) {
          points { id score }
          explain { index vectors search ef scored scoredVectors rescore { candidates } filter { path matching fullScanThreshold payloadIndex reason } }
        }
      }`,
    });
    assert.equal(status, 200, JSON.stringify(json));
    const data = json['data'] as {
      search: Point[];
      explainSearch: { points: Point[]; explain: Record<string, unknown> };
    };
    assert.deepEqual(data.explainSearch.points, data.search);
    const { filter, ...rest } = data.explainSearch.explain;
    assert.deepEqual(rest, {
      index: 'hnsw',
      vectors: 'float32',
      search: 'exact_scan',
      ef: null,
      scored: 100,
      scoredVectors: 'float32',
      rescore: null,
    });
    assert.deepEqual(
      { ...(filter as object), reason: undefined },
      {
        path: 'exact-scan',
        matching: 100,
        fullScanThreshold: 500,
        payloadIndex: false,
        reason: undefined,
      },
    );
  });

  it('refuses an explain that is not a boolean, saying what to send', async () => {
    const { status, json } = await post('/collections/plan/points/search', {
      vector: queryOf(1),
      params: { explain: 'yes' },
    });
    assert.equal(status, 400);
    assert.deepEqual(json['status'], {
      error: 'params.explain must be true or false',
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('batch search', () => {
  const searches = Array.from({ length: 16 }, (_, i) => ({
    query: queryOf(10 + i),
    limit: 5,
    with_payload: i % 3 === 0,
    ...(i % 4 === 0 ? {} : { filter: [rare, group, red][i % 3] }),
    ...(i % 5 === 0 ? { params: { explain: true, hnsw_ef: 32 } } : {}),
  }));

  it('answers each query of a batch of mixed filters as it is answered alone', async () => {
    const batch = (await client.queryBatch('plan', { searches })) as { points: Point[]; explain?: Explain }[];
    const alone = await Promise.all(searches.map((search) => query('plan', search)));
    assert.deepEqual(batch, alone);
    assert.deepEqual(
      new Set(batch.flatMap(({ explain }) => (explain?.filter ? [explain.filter.path] : []))),
      new Set(['exact-scan', 'filtered-graph']),
    );
    const searched = await post('/collections/plan/points/search/batch', {
      searches: searches.map(({ query: vector, ...rest }) => ({ vector, ...rest })),
    });
    assert.deepEqual(
      searched.json['result'],
      alone.map(({ points }) => points),
    );
  });

  it('refuses an empty batch, one over vector.maxBatchSearches, and names a bad search by its place', async () => {
    const refused = async (body: unknown, message: RegExp): Promise<void> => {
      for (const route of ['search', 'query']) {
        const { status, json } = await post(`/collections/plan/points/${route}/batch`, body);
        assert.equal(status, 400, route);
        const error = json['status'] as { error: string; code: string };
        assert.equal(error.code, 'INVALID_ARGUMENT');
        assert.match(error.error, message);
      }
    };
    await refused({ searches: [] }, /searches must be a non-empty array/);
    await refused({}, /searches must be a non-empty array/);
    const many = Array.from({ length: 17 }, () => ({ vector: queryOf(1), query: queryOf(1) }));
    await refused(
      { searches: many },
      /holds 17 requests; a batch may hold at most 16 \(vector.maxBatchSearches\)/,
    );
    const bad = [
      { vector: queryOf(1), query: queryOf(1) },
      { vector: queryOf(1), query: queryOf(1), params: { explain: 1 } },
    ];
    await refused({ searches: bad }, /^searches\[1\]: params.explain must be true or false$/);
    const badFilter = [
      { vector: queryOf(1), query: queryOf(1) },
      { vector: queryOf(1), query: queryOf(1), filter: { must: 3 } },
    ];
    await refused({ searches: badFilter }, /^searches\[1\]: /);
  });
});
