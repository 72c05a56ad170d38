/**
 * A collection reduced by PCA (issue 7; decision 0017), through the official Qdrant client and
 * Strata's `PUT/DELETE /collections/{name}/pca`: the model is fitted on a sample of the points and
 * stored with the collection (in its log and snapshots), the graph searches the reduced vectors,
 * and candidates are rescored with the full ones, so scores are exact and recall stays high. The
 * reduction survives a restart and a snapshot restore; bad requests are refused with codes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { mulberry32 } from '../src/vector/index.js';
import { VectorPlatform } from './support/vector-platform.js';

const dim = 48;
const latent = 6;
const random = mulberry32(23);
// Points near a 6-dimensional subspace of R^48: what PCA to 6 components keeps almost whole.
const basis = Array.from({ length: latent }, () => Array.from({ length: dim }, () => random() - 0.5));
function point(): number[] {
  const z = basis.map(() => random() * 4 - 2);
  return Array.from(
    { length: dim },
    (_, j) => basis.reduce((sum, axis, c) => sum + (z[c] ?? 0) * (axis[j] ?? 0), 0) + (random() - 0.5) * 0.02,
  );
}
const vectors = Array.from({ length: 1500 }, point);
const queries = Array.from({ length: 12 }, point);
const fewMatch = { must: [{ key: 'group', match: { value: 2 } }] };
const manyMatch = { must_not: [{ key: 'group', match: { value: 0 } }] };

const server = new VectorPlatform('pca');

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as {
    result?: unknown;
    status: { error: string; code: string } | string;
  };
  return { status: response.status, json };
}

async function pcaConfig(name: string): Promise<Record<string, number> | null> {
  const { json } = await call('GET', `/collections/${name}`);
  return (json.result as { config: { pca_config: Record<string, number> | null } }).config.pca_config;
}

type Hits = { id: string | number; score: number }[];

async function search(name: string, query: number[], extra: Record<string, unknown> = {}): Promise<Hits> {
  const { points } = await server.client.query(name, { query, limit: 10, ...extra });
  return points.map(({ id, score }) => ({ id, score }));
}

/** Recall@10 of the approximate searches against exact ones, and whether every score is exact. */
async function quality(name: string, filter?: unknown): Promise<{ recall: number; exactScores: boolean }> {
  let found = 0;
  let exactScores = true;
  for (const query of queries) {
    const filtered = filter === undefined ? {} : { filter };
    const approximate = await search(name, query, { params: { hnsw_ef: 64 }, ...filtered });
    const exact = await search(name, query, { params: { exact: true }, ...filtered });
    const truth = new Map(exact.map(({ id, score }) => [id, score]));
    for (const { id, score } of approximate) {
      const want = truth.get(id);
      if (want === undefined) continue;
      found++;
      if (want !== score) exactScores = false;
    }
  }
  return { recall: found / (queries.length * 10), exactScores };
}

async function exactResults(name: string): Promise<Hits[]> {
  return Promise.all(queries.map((query) => search(name, query, { params: { exact: true } })));
}

describe('PCA-reduced collections', () => {
  let exactBefore: Hits[];

  it('fits PCA on the points, stores it with the collection, and searches through it with exact scores', async () => {
    await server.client.createCollection('reduced', {
      vectors: { size: dim, distance: 'Euclid' },
      hnsw_config: { full_scan_threshold: 200 },
    });
    await server.client.upsert('reduced', {
      wait: true,
      points: vectors.map((vector, id) => ({ id, vector, payload: { group: id % 5 } })),
    });
    exactBefore = await exactResults('reduced');
    const set = await call('PUT', '/collections/reduced/pca', { components: latent, sample: 1000 });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    assert.equal((set.json.result as { status: string }).status, 'completed');
    const config = await pcaConfig('reduced');
    assert.ok(config !== null);
    assert.equal(config['components'], latent);
    assert.equal(config['dimension'], dim);
    assert.equal(config['oversampling'], 4);
    assert.ok((config['explained_variance_ratio'] ?? 0) > 0.99, JSON.stringify(config));

    assert.deepEqual(await exactResults('reduced'), exactBefore, 'exact searches read the full vectors');
    for (const filter of [undefined, fewMatch, manyMatch]) {
      const { recall, exactScores } = await quality('reduced', filter);
      assert.ok(recall >= 0.9, `recall ${recall} with filter ${JSON.stringify(filter)}`);
      assert.ok(exactScores, 'every returned score is the exact distance');
    }

    const { result } = await call('POST', '/collections/reduced/points/search', {
      vector: queries[0],
      limit: 10,
      params: { explain: true },
    }).then(({ json }) => ({ result: json as unknown as { explain: Record<string, unknown> } }));
    assert.equal(result.explain['reduced_to'], latent);
    assert.deepEqual(result.explain['rescore'], { candidates: 40, oversampling: 4 });

    // Points keep their full vectors, and new ones are reduced on the way in.
    const [stored] = await server.client.retrieve('reduced', { ids: [3], with_vector: true });
    assert.deepEqual(stored?.vector, Array.from(Float32Array.from(vectors[3] ?? [])));
    const fresh = queries[5] ?? [];
    await server.client.upsert('reduced', {
      wait: true,
      points: [{ id: 99_999, vector: fresh, payload: {} }],
    });
    const [top] = await search('reduced', fresh);
    assert.deepEqual(top, { id: 99_999, score: 0 });
    await server.client.delete('reduced', { wait: true, points: [99_999] });
  });

  it('keeps the reduction across a restart: the model is replayed from the log, not fitted again', async () => {
    const before = await pcaConfig('reduced');
    await server.stop();
    await server.start();
    assert.deepEqual(await pcaConfig('reduced'), before);
    assert.deepEqual(await exactResults('reduced'), exactBefore);
    const { recall, exactScores } = await quality('reduced');
    assert.ok(recall >= 0.9 && exactScores, `recall ${recall}`);
  });

  it('restores a snapshot into a new collection with the same reduction', async () => {
    const snapshot = await server.client.createSnapshot('reduced');
    assert.ok(snapshot !== null);
    const location = pathToFileURL(
      join(server.dataDir, 'vector', 'user-snapshots', 'reduced', snapshot.name),
    ).href;
    assert.equal(await server.client.recoverSnapshot('copy', { location }), true);
    assert.deepEqual(await pcaConfig('copy'), await pcaConfig('reduced'));
    assert.deepEqual(await exactResults('copy'), exactBefore);
    const { recall } = await quality('copy');
    assert.ok(recall >= 0.9, `recall ${recall}`);
  });

  it('drops the reduction: the graph searches the full vectors again', async () => {
    const dropped = await call('DELETE', '/collections/copy/pca');
    assert.equal(dropped.status, 200, JSON.stringify(dropped.json));
    assert.equal(await pcaConfig('copy'), null);
    const { json } = await call('POST', '/collections/copy/points/search', {
      vector: queries[0],
      limit: 10,
      params: { explain: true },
    });
    const explain = (json as unknown as { explain: Record<string, unknown> }).explain;
    assert.equal(explain['reduced_to'], null);
    assert.equal(explain['rescore'], null);
    assert.deepEqual(await exactResults('copy'), exactBefore);
    const again = await call('DELETE', '/collections/copy/pca');
    assert.equal(again.status, 404);
  });

  it('refuses bad requests with codes that say what to change', async () => {
    await server.client.createCollection('quantized', {
      vectors: { size: 4, distance: 'Dot' },
      quantization_config: { scalar: { type: 'int8' } },
    });
    await server.client.createCollection('empty', { vectors: { size: 4, distance: 'Dot' } });
    for (const [name, body, want, message] of [
      ['reduced', { components: 0 }, 400, /components must be an integer from 1 to 47/],
      ['reduced', { components: dim }, 400, /components must be an integer from 1 to 47/],
      ['reduced', { components: 'six' }, 400, /components must be an integer/],
      ['reduced', {}, 400, /components must be an integer/],
      ['reduced', { components: 2, oversampling: 0 }, 400, /oversampling must be an integer from 1 to 64/],
      ['reduced', { components: 2, sample: 1 }, 400, /sample must be an integer from 2/],
      ['reduced', [1, 2], 400, /body must be a JSON object/],
      ['quantized', { components: 2 }, 400, /has a quantization_config/],
      ['empty', { components: 2 }, 400, /holds 0 point\(s\); .* upsert points first/],
      ['missing', { components: 2 }, 404, /does not exist/],
    ] as const) {
      const { status, json } = await call('PUT', `/collections/${name}/pca`, body);
      const label = `${name} ${JSON.stringify(body)}: ${JSON.stringify(json)}`;
      assert.equal(status, want, label);
      assert.ok(typeof json.status !== 'string', label);
      assert.match(json.status.error, message, label);
      assert.equal(json.status.code, want === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT', label);
    }
    assert.equal((await call('DELETE', '/collections/missing/pca')).status, 404);
    // A refused request changed nothing.
    assert.equal((await pcaConfig('reduced'))?.['components'], latent);
  });
});
