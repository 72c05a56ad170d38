/**
 * The clustering API, Strata's own route beside Qdrant's: POST /collections/{name}/clusters runs
 * k-means over the collection's points and answers centroids, sizes and each point's cluster.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Platform } from '../src/platform/index.js';
import { startPlatform, tempDataDir } from './support/platform.js';

let platform: Platform;
let url: string;

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

interface Clusters {
  centroids: number[][];
  sizes: number[];
  assignments: { id: number; cluster: number }[];
  inertia: number;
  iterations: number;
}

before(async () => {
  ({ platform, url } = await startPlatform(tempDataDir('clusters'), ['vector']));
  await call('PUT', '/collections/blobs', { vectors: { size: 2, distance: 'Euclid' } });
  // Three tight groups of 20 points around (0, 0), (10, 0) and (0, 10): group = id % 3.
  const centres = [
    [0, 0],
    [10, 0],
    [0, 10],
  ];
  const points = Array.from({ length: 60 }, (_, id) => {
    const [x = 0, y = 0] = centres[id % 3] ?? [];
    return { id, vector: [x + Math.cos(id) * 0.3, y + Math.sin(id) * 0.3] };
  });
  const upserted = await call('PUT', '/collections/blobs/points?wait=true', { points });
  assert.equal(upserted.status, 200, JSON.stringify(upserted.json));
});

after(async () => {
  await platform.shutdown();
});

describe('POST /collections/{collection_name}/clusters', () => {
  it('groups the points into k clusters: centroids, sizes and every point assigned', async () => {
    const { status, json } = await call('POST', '/collections/blobs/clusters', { k: 3, seed: 7 });
    assert.equal(status, 200, JSON.stringify(json));
    const result = json['result'] as Clusters;
    assert.equal(result.centroids.length, 3);
    assert.deepEqual(result.sizes, [20, 20, 20]);
    assert.equal(result.assignments.length, 60);
    // Points of one group share a cluster, and groups get different ones.
    const clusterOf = new Map(result.assignments.map((a) => [a.id, a.cluster]));
    const groups = [0, 1, 2].map(
      (g) => new Set(result.assignments.filter((a) => a.id % 3 === g).map((a) => a.cluster)),
    );
    assert.ok(groups.every((g) => g.size === 1));
    assert.equal(new Set(groups.flatMap((g) => [...g])).size, 3);
    // The centroid of the group around (10, 0) is near it.
    const [x = 0, y = 0] = result.centroids[clusterOf.get(1) ?? 0] ?? [];
    assert.ok(Math.hypot(x - 10, y) < 0.1, `centroid ${x}, ${y}`);
    // Same seed, same answer.
    const again = await call('POST', '/collections/blobs/clusters', { k: 3, seed: 7 });
    assert.deepEqual(again.json['result'], result);
  });

  const bad: [string, unknown, RegExp][] = [
    ['k < 1', { k: 0 }, /k must be an integer from 1 to 60/],
    ['k > points', { k: 61 }, /k must be an integer from 1 to 60/],
    ['k missing', {}, /k must be an integer/],
    ['k not an integer', { k: 2.5 }, /k must be an integer/],
    ['sample below k', { k: 5, sample: 2 }, /sample must be an integer from 5/],
    ['iterations 0', { k: 2, iterations: 0 }, /iterations must be an integer from 1/],
  ];
  for (const [name, body, message] of bad) {
    it(`${name} → 400 INVALID_ARGUMENT`, async () => {
      const { status, json } = await call('POST', '/collections/blobs/clusters', body);
      assert.equal(status, 400, JSON.stringify(json));
      const error = json['status'] as { error: string; code: string };
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.match(error.error, message);
    });
  }

  it('answers 404 NOT_FOUND for an unknown collection', async () => {
    const { status, json } = await call('POST', '/collections/nope/clusters', { k: 1 });
    assert.equal(status, 404);
    assert.equal((json['status'] as { code: string }).code, 'NOT_FOUND');
  });
});
