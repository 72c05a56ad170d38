/**
 * Quantized collections with `vectors.on_disk: true` through the official Qdrant client (issue 7):
 * the full vectors live in a file behind a block cache far smaller than they are, and every search
 * (unfiltered, filtered through the graph, filtered by an exact scan, exact) answers exactly as the
 * same collection in RAM, ids and scores, also after a restart and after a snapshot is restored.
 * The cache stays within `vector.diskCache.bytes`; bad `on_disk` values and changes are refused.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { mulberry32 } from '../src/vector/index.js';
import { VectorPlatform } from './support/vector-platform.js';

const dim = 64;
// Four 4 KiB blocks (16 rows of 64 floats each): 2000 points are 512 KiB of full vectors.
const cacheBytes = 4 * 4096;
const random = mulberry32(17);
const vectors = Array.from({ length: 2000 }, () => Array.from({ length: dim }, () => random() * 2 - 1));
const queries = vectors.slice(0, 12).map((v) => v.map((x) => x + (random() - 0.5) * 0.3));
const quantization_config = { scalar: { type: 'int8' as const, quantile: 0.99 } };
// Below 500 matching points a filtered search scans them exactly; above, it walks the graph.
const hnsw_config = { m: 12, ef_construct: 64, full_scan_threshold: 500 };
const fewMatch = { must: [{ key: 'group', match: { value: 2 } }] };
const manyMatch = { must_not: [{ key: 'group', match: { value: 0 } }] };

const server = new VectorPlatform('on-disk', {
  'vector.diskCache.bytes': String(cacheBytes),
});

/** Every kind of search, as ids and scores. */
async function observe(name: string): Promise<unknown[]> {
  const results: unknown[] = [];
  for (const query of queries) {
    for (const request of [
      { params: { hnsw_ef: 64, quantization: { oversampling: 2 } } },
      { params: { hnsw_ef: 64 }, filter: fewMatch },
      { params: { hnsw_ef: 64, quantization: { oversampling: 3 } }, filter: manyMatch },
      { params: { exact: true } },
    ]) {
      const { points } = await server.client.query(name, { query, limit: 10, ...request });
      results.push(points.map(({ id, score }) => ({ id, score })));
    }
  }
  return results;
}

async function metric(name: string, label = ''): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${label} `));
  assert.ok(line !== undefined, `${name}${label} is exported`);
  return Number(line.split(' ').at(-1));
}

// Raw requests where the client's types mark `on_disk` deprecated (Qdrant 1.16+ prefers `memory`).
async function raw(method: string, path: string, body: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { status: { code: string; error: string } | string };
  const { status } = json;
  return {
    status: response.status,
    code: typeof status === 'string' ? status : status.code,
    error: typeof status === 'string' ? '' : status.error,
  };
}

async function vectorsOf(name: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/collections/${name}`);
  const json = (await response.json()) as {
    result: { config: { params: { vectors: Record<string, unknown> } } };
  };
  return json.result.config.params.vectors;
}

function fullVectorFiles(): number {
  const folder = join(server.dataDir, 'vector', 'full-vectors');
  return readdirSync(folder, { recursive: true }).filter((name) => String(name).endsWith('.f32')).length;
}

describe('on_disk quantized collections (Qdrant API)', () => {
  let before: unknown[];

  it('answers every search exactly as the same collection in RAM, through a cache far smaller than the vectors', async () => {
    await server.client.createCollection('ram', {
      vectors: { size: dim, distance: 'Cosine' },
      hnsw_config,
      quantization_config,
    });
    const created = await raw('PUT', '/collections/disk', {
      vectors: { size: dim, distance: 'Cosine', on_disk: true },
      hnsw_config,
      quantization_config,
    });
    assert.equal(created.status, 200);
    const points = vectors.map((vector, id) => ({ id, vector, payload: { group: id % 5 } }));
    for (const name of ['ram', 'disk']) {
      for (let from = 0; from < points.length; from += 500)
        await server.client.upsert(name, { wait: true, points: points.slice(from, from + 500) });
      await server.client.delete(name, { wait: true, points: [5, 6, 7, 8] });
    }
    assert.deepEqual(await vectorsOf('disk'), {
      size: dim,
      distance: 'Cosine',
      on_disk: true,
    });
    assert.deepEqual((await server.client.getCollection('ram')).config.params.vectors, {
      size: dim,
      distance: 'Cosine',
    });

    before = await observe('disk');
    assert.deepEqual(before, await observe('ram'));

    assert.ok((await metric('strata_vector_disk_cache_bytes')) <= cacheBytes);
    assert.equal(await metric('strata_vector_disk_cache_budget_bytes'), cacheBytes);
    assert.ok((await metric('strata_vector_disk_cache_misses_total')) > 0);
    assert.ok((await metric('strata_vector_disk_cache_hits_total')) > 0);
    // RAM counts codes, graph and cached blocks, not the 512 KiB of full vectors on disk.
    const inRam = await metric('strata_vector_memory_bytes', '{collection="ram"}');
    const onDisk = await metric('strata_vector_memory_bytes', '{collection="disk"}');
    assert.ok(inRam - onDisk >= vectors.length * dim * 4 - cacheBytes, `ram ${inRam}, disk ${onDisk}`);
    assert.equal(fullVectorFiles(), 1);
  });

  it('answers the same after a restart on the same data directory (the file rebuilt from the log and snapshot)', async () => {
    await server.stop();
    assert.equal(fullVectorFiles(), 0, 'the file is derived state, deleted on close');
    await server.start();
    assert.equal((await vectorsOf('disk'))['on_disk'], true);
    const after = await observe('disk');
    assert.deepEqual(after, await observe('ram'));
    // The graph is rebuilt without the deleted points, so only exact searches must match before.
    const exactOnly = (results: unknown[]) => results.filter((_, i) => i % 4 === 3);
    assert.deepEqual(exactOnly(after), exactOnly(before));
  });

  it('answers the same after a snapshot is restored into a new collection, which stays on disk', async () => {
    const snapshot = await server.client.createSnapshot('disk');
    assert.ok(snapshot !== null);
    const location = pathToFileURL(
      join(server.dataDir, 'vector', 'user-snapshots', 'disk', snapshot.name),
    ).href;
    assert.equal(await server.client.recoverSnapshot('disk-copy', { location }), true);
    assert.equal((await vectorsOf('disk-copy'))['on_disk'], true);
    assert.deepEqual(await observe('disk-copy'), await observe('ram'));
    // Restored over itself: the old file goes, the new one serves.
    assert.equal(await server.client.recoverSnapshot('disk', { location }), true);
    assert.deepEqual(await observe('disk'), await observe('ram'));
    assert.equal(fullVectorFiles(), 2);
    await server.client.deleteCollection('disk-copy');
    assert.equal(fullVectorFiles(), 1);
  });

  it('refuses bad on_disk values and changes with INVALID_ARGUMENT', async () => {
    for (const [body, message] of [
      [
        { vectors: { size: 4, distance: 'Dot', on_disk: 'yes' }, quantization_config },
        /vectors\.on_disk must be true or false/,
      ],
      [{ vectors: { size: 4, distance: 'Dot', on_disk: true } }, /on_disk: true needs a quantization_config/],
      [
        { vectors: { size: 4, distance: 'Dot', memory: 'cold' }, quantization_config },
        /vectors\.memory is not supported; use vectors\.on_disk/,
      ],
    ] as const) {
      const response = await raw('PUT', '/collections/refused', body);
      assert.equal(response.status, 400);
      assert.equal(response.code, 'INVALID_ARGUMENT');
      assert.match(response.error, message);
      assert.deepEqual(await server.client.collectionExists('refused'), { exists: false });
    }
    for (const [body, message] of [
      [{ vectors: { '': { on_disk: false } } }, /on_disk is fixed when a collection is created/],
      [{ vectors: { on_disk: false } }, /on_disk is fixed when a collection is created/],
      [{ vectors: { '': { on_disk: 1 } } }, /on_disk must be true or false/],
      [{ vectors: [true] }, /vectors must be an object/],
    ] as const) {
      const response = await raw('PATCH', '/collections/disk', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.code, 'INVALID_ARGUMENT');
      assert.match(response.error, message);
    }
    // Asking for what it already is changes nothing and is accepted, as in Qdrant.
    assert.equal(
      (await raw('PATCH', '/collections/disk', { vectors: { '': { on_disk: true } } })).status,
      200,
    );
    assert.equal((await vectorsOf('disk'))['on_disk'], true);
  });
});
