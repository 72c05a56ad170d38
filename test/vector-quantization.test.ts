/**
 * Quantized collections through the official Qdrant client: `quantization_config` at creation,
 * `params.quantization` at search, the config reported by collection info and kept across a
 * restart, and bad configs refused with messages that say what to change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QdrantClient } from '@qdrant/js-client-rest';
import { mulberry32 } from '../src/vector/index.js';
import { VectorPlatform } from './support/vector-platform.js';

const dim = 64;
const random = mulberry32(3);
// Enough points for the quantizer to train (it waits for 1024) and the graph to hold codes.
const vectors = Array.from({ length: 2000 }, () => Array.from({ length: dim }, () => random() * 2 - 1));
const queries = vectors.slice(0, 20).map((v) => v.map((x) => x + (random() - 0.5) * 0.2));

const server = new VectorPlatform('quantization');

type SearchParams = NonNullable<Parameters<QdrantClient['query']>[1]>['params'];

async function searchAll(
  name: string,
  params: SearchParams,
): Promise<{ id: string | number; score: number }[][]> {
  const results: { id: string | number; score: number }[][] = [];
  for (const query of queries) {
    const { points } = await server.client.query(name, {
      query,
      limit: 10,
      ...(params === undefined ? {} : { params }),
    });
    results.push(points.map(({ id, score }) => ({ id, score })));
  }
  return results;
}

function overlap(got: { id: string | number }[][], want: { id: string | number }[][]): number {
  let found = 0;
  got.forEach((hits, q) => {
    const truth = new Set((want[q] ?? []).map((h) => h.id));
    found += hits.filter((h) => truth.has(h.id)).length;
  });
  return found / (10 * got.length);
}

async function raw(
  method: string,
  path: string,
  body: unknown,
): Promise<{ status: number; code: string; error: string }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { status: { code: string; error: string } };
  return { status: response.status, code: json.status.code, error: json.status.error };
}

describe('quantized collections (Qdrant API)', () => {
  // 64 bits say less about a vector than 64 bytes do, the less so on uniform noise, where the
  // nearest points are barely nearer than the rest: binary takes more candidates and finds fewer.
  // (Recall is measured on structured data beside the index, src/vector/quantization/.)
  for (const [name, config, oversampling, minRecall] of [
    ['int8', { scalar: { type: 'int8', quantile: 0.99, always_ram: true } }, 2, 0.9],
    ['binary', { binary: { always_ram: true } }, 10, 0.7],
  ] as const) {
    it(`${name}: searches with and without the codes, and keeps its config across a restart`, async () => {
      await server.client.createCollection(name, {
        vectors: { size: dim, distance: 'Cosine' },
        quantization_config: config,
      });
      assert.deepEqual((await server.client.getCollection(name)).config.quantization_config, config);
      await server.client.upsert(name, { points: vectors.map((vector, id) => ({ id, vector })) });

      const exact = await searchAll(name, { exact: true });
      const rescored = await searchAll(name, {
        hnsw_ef: 128,
        quantization: { rescore: true, oversampling },
      });
      const ignored = await searchAll(name, { hnsw_ef: 128, quantization: { ignore: true } });
      assert.ok(overlap(rescored, exact) >= minRecall, `rescored recall ${overlap(rescored, exact)}`);
      assert.ok(overlap(ignored, exact) >= minRecall, `ignore recall ${overlap(ignored, exact)}`);
      // Rescored scores are exact cosine similarities.
      const [top] = rescored[0] ?? [];
      const [exactTop] = exact[0] ?? [];
      if (top?.id === exactTop?.id) assert.ok(Math.abs((top?.score ?? 0) - (exactTop?.score ?? 1)) < 1e-6);
      const estimated = await searchAll(name, { quantization: { rescore: false } });
      assert.equal(estimated[0]?.length, 10);

      await server.stop();
      await server.start();
      assert.deepEqual((await server.client.getCollection(name)).config.quantization_config, config);
      assert.equal((await server.client.count(name, {})).count, vectors.length);
      const after = await searchAll(name, { hnsw_ef: 128, quantization: { oversampling } });
      assert.ok(overlap(after, exact) >= minRecall, `recall after restart ${overlap(after, exact)}`);
    });
  }

  const refused: [string, unknown, RegExp][] = [
    ['an unknown scalar type', { scalar: { type: 'int4' } }, /scalar\.type must be "int8"/],
    ['product quantization', { product: { compression: 'x16' } }, /product is not supported/],
    ['two kinds at once', { scalar: { type: 'int8' }, binary: {} }, /exactly one of scalar or binary/],
    [
      'a quantile out of range',
      { scalar: { type: 'int8', quantile: 1.5 } },
      /quantile must be a number from 0.5 to 1/,
    ],
    ['an unknown field', { binary: { bits: 2 } }, /binary\.bits is not supported/],
  ];
  for (const [what, config, message] of refused) {
    it(`refuses ${what} with INVALID_ARGUMENT`, async () => {
      const response = await raw('PUT', '/collections/refused', {
        vectors: { size: 4, distance: 'Dot' },
        quantization_config: config,
      });
      assert.equal(response.status, 400);
      assert.equal(response.code, 'INVALID_ARGUMENT');
      assert.match(response.error, message);
      assert.deepEqual(await server.client.collectionExists('refused'), { exists: false });
    });
  }

  it('refuses bad search params and a quantization change with INVALID_ARGUMENT', async () => {
    await server.client.createCollection('guarded-q', {
      vectors: { size: 4, distance: 'Dot' },
      quantization_config: { scalar: { type: 'int8' } },
    });
    for (const [quantization, message] of [
      [{ oversampling: 0.5 }, /oversampling must be a number from 1 to 100/],
      [{ rescore: 'yes' }, /rescore must be true or false/],
      [{ exact: true }, /params\.quantization\.exact is not supported/],
    ] as const) {
      const response = await raw('POST', '/collections/guarded-q/points/search', {
        vector: [1, 0, 0, 0],
        limit: 3,
        params: { quantization },
      });
      assert.equal(response.status, 400);
      assert.equal(response.code, 'INVALID_ARGUMENT');
      assert.match(response.error, message);
    }
    const patch = await raw('PATCH', '/collections/guarded-q', { quantization_config: { binary: {} } });
    assert.equal(patch.status, 400);
    assert.match(patch.error, /fixed when a collection is created/);
  });
});
