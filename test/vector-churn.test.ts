/**
 * Deletes reclaim space (issue: hnswlib's and FAISS's deletes never free anything). After deleting
 * half the points and inserting as many new ones, recall holds, and memory and disk are within 10%
 * of a collection freshly built from the same points. Measured through /metrics, as an operator would.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { mulberry32 } from '../src/vector/index.js';
import { startPlatform, tempDataDir } from './support/platform.js';

const dimension = 16;
const settings = { 'vector.storage.snapshotsKept': '1', 'vector.storage.segmentBytes': '4096' };

async function call(url: string, method: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { result: unknown };
  assert.equal(response.status, 200, JSON.stringify(json));
  return json.result;
}

async function upsert(url: string, collection: string, points: Map<number, number[]>): Promise<void> {
  const all = [...points].map(([id, vector]) => ({ id, vector }));
  for (let i = 0; i < all.length; i += 500) {
    await call(url, 'PUT', `/collections/${collection}/points`, { points: all.slice(i, i + 500) });
  }
}

async function gauge(url: string, name: string, collection: string): Promise<number> {
  const families = parsePrometheusTextFormat(await (await fetch(`${url}/metrics`)).text());
  const sample = families
    .find((family) => family.name === name)
    ?.metrics.find((metric) => metric.labels?.['collection'] === collection);
  assert.ok(sample?.value !== undefined, `${name}{collection="${collection}"} is exported`);
  return Number(sample.value);
}

function nearest(points: Map<number, number[]>, query: number[], k: number): number[] {
  const distance = (v: number[]): number => v.reduce((sum, x, i) => sum + (x - (query[i] ?? 0)) ** 2, 0);
  return [...points]
    .map(([id, v]) => [id, distance(v)] as const)
    .sort((a, b) => a[1] - b[1])
    .slice(0, k)
    .map(([id]) => id);
}

describe('deletes reclaim space', () => {
  it('keeps recall and returns memory and disk to within 10% of a fresh build after 50% churn', async () => {
    const random = mulberry32(7);
    const vector = (): number[] => Array.from({ length: dimension }, () => random() * 2 - 1);
    const dataDir = tempDataDir('churn');
    let { platform, url } = await startPlatform(dataDir, ['vector'], settings);
    const create = { vectors: { size: dimension, distance: 'Euclid' } };
    await call(url, 'PUT', '/collections/churned', create);
    await call(url, 'PUT', '/collections/fresh', create);

    const live = new Map<number, number[]>();
    for (let id = 0; id < 4000; id++) live.set(id, vector());
    await upsert(url, 'churned', live);
    const deleted = [...live.keys()].filter((id) => id % 2 === 0);
    for (let i = 0; i < deleted.length; i += 500) {
      await call(url, 'POST', '/collections/churned/points/delete', { points: deleted.slice(i, i + 500) });
    }
    for (const id of deleted) live.delete(id);
    const added = new Map<number, number[]>();
    for (let id = 4000; id < 6000; id++) added.set(id, vector());
    await upsert(url, 'churned', added);
    for (const [id, v] of added) live.set(id, v);
    await upsert(url, 'fresh', live);

    let hits = 0;
    const queries = 50;
    for (let q = 0; q < queries; q++) {
      const query = vector();
      const result = (await call(url, 'POST', '/collections/churned/points/query', { query, limit: 10 })) as {
        points: { id: number }[];
      };
      const truth = new Set(nearest(live, query, 10));
      hits += result.points.filter((point) => truth.has(point.id)).length;
    }
    assert.ok(hits / (queries * 10) >= 0.95, `recall@10 ${hits / (queries * 10)} after churn`);

    const memory = {
      churned: await gauge(url, 'strata_vector_memory_bytes', 'churned'),
      fresh: await gauge(url, 'strata_vector_memory_bytes', 'fresh'),
    };
    assert.ok(memory.churned <= 1.1 * memory.fresh, `memory ${memory.churned} vs fresh ${memory.fresh}`);
    assert.equal(await gauge(url, 'strata_vector_points', 'churned'), 4000);

    // A clean stop snapshots each collection and truncates its log; disk then holds live points only.
    await platform.shutdown();
    ({ platform, url } = await startPlatform(dataDir, ['vector'], settings));
    try {
      const disk = {
        churned: await gauge(url, 'strata_vector_disk_bytes', 'churned'),
        fresh: await gauge(url, 'strata_vector_disk_bytes', 'fresh'),
      };
      assert.ok(disk.churned <= 1.1 * disk.fresh, `disk ${disk.churned} vs fresh ${disk.fresh}`);
      assert.ok(disk.fresh > 4000 * dimension * 4, 'the fresh collection holds its vectors on disk');
    } finally {
      await platform.shutdown();
    }
  });
});
