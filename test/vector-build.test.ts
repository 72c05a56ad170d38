/**
 * Parallel bulk builds through the official Qdrant client: upserts of 1000 points (above the
 * 256-point batch) build on two worker threads, searches find the exact neighbours, a restart
 * (which restores the snapshot written at shutdown, in parallel too) answers the same, a kill -9
 * and replay of the log rebuilds the very same graph, and a bad
 * `vector.buildThreads` is refused with a message naming the key.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QdrantClient } from '@qdrant/js-client-rest';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { isStrataError } from '../src/kernel/index.js';
import { loadConfig } from '../src/platform/index.js';
import { mulberry32 } from '../src/vector/index.js';
import { Child, cliPath } from './support/cli.js';
import { tempDataDir } from './support/platform.js';
import { VectorPlatform } from './support/vector-platform.js';

const dim = 16;
const random = mulberry32(7);
const vectors = Array.from({ length: 3000 }, () => Array.from({ length: dim }, () => random() * 2 - 1));
const queries = Array.from({ length: 20 }, () => Array.from({ length: dim }, () => random() * 2 - 1));

const server = new VectorPlatform('vector-build', { 'vector.buildThreads': '2' });

async function search(exact: boolean): Promise<{ id: string | number; score: number }[][]> {
  const results: { id: string | number; score: number }[][] = [];
  for (const query of queries) {
    const { points } = await server.client.query('bulk', {
      query,
      limit: 10,
      params: exact ? { exact: true } : { hnsw_ef: 128 },
    });
    results.push(points.map(({ id, score }) => ({ id, score })));
  }
  return results;
}

async function parallelPoints(): Promise<number> {
  const families = parsePrometheusTextFormat(await (await fetch(`${server.url}/metrics`)).text());
  const value = families.find((family) => family.name === 'strata_vector_build_parallel_points')?.metrics[0]
    ?.value;
  assert.ok(value !== undefined, 'strata_vector_build_parallel_points is exported');
  return Number(value);
}

describe('parallel bulk build (Qdrant API)', () => {
  it('bulk-upserts in parallel, finds the exact neighbours, and answers the same after a restart', async () => {
    await server.client.createCollection('bulk', { vectors: { size: dim, distance: 'Euclid' } });
    for (let from = 0; from < vectors.length; from += 1000) {
      await server.client.upsert('bulk', {
        wait: true,
        points: vectors.slice(from, from + 1000).map((vector, i) => ({ id: from + i, vector })),
      });
    }
    assert.equal((await server.client.count('bulk', { exact: true })).count, vectors.length);
    assert.equal(await parallelPoints(), vectors.length);
    const exact = await search(true);
    const found = await search(false);
    let hits = 0;
    found.forEach((points, q) => {
      const truth = new Set((exact[q] ?? []).map((p) => p.id));
      hits += points.filter((p) => truth.has(p.id)).length;
    });
    assert.ok(hits / (10 * queries.length) >= 0.98, `recall@10 ${String(hits / (10 * queries.length))}`);

    // A restart, a small (serial) upsert into the restored graph, and another restart.
    await server.stop();
    await server.start();
    // Far from every query: they change the graph, not the answers.
    await server.client.upsert('bulk', {
      wait: true,
      points: queries.map((_, i) => ({
        id: vectors.length + i,
        vector: Array.from({ length: dim }, () => 50 + i),
      })),
    });
    await server.stop();
    await server.start();
    // The restore of the snapshot written at shutdown was a parallel build as well.
    assert.equal(await parallelPoints(), vectors.length + queries.length);
    assert.deepEqual(await search(true), exact);
    assert.deepEqual(await search(false), found);
  });

  it('replays the logged upserts after kill -9 into the very same graph', async () => {
    const server = (): Child =>
      new Child(cliPath, [
        'start',
        '--target',
        'vector',
        '--data-dir',
        crashDir,
        '--set',
        'server.httpPort=0',
        '--set',
        'server.grpcPort=0',
        '--set',
        'security.auth.enabled=false',
        '--set',
        'vector.buildThreads=2',
      ]);
    // A narrow beam, so that any difference in the links would show in the answers.
    const answers = async (crashClient: QdrantClient): Promise<(string | number)[][]> => {
      const results: (string | number)[][] = [];
      for (const query of queries) {
        const { points } = await crashClient.query('replayed', { query, limit: 10, params: { hnsw_ef: 10 } });
        results.push(points.map((point) => point.id));
      }
      return results;
    };
    const crashDir = tempDataDir('vector-build-crash');
    let child = server();
    try {
      let crashClient = new QdrantClient({ url: await child.httpUrl() });
      await child.waitForLog(/^Strata is ready$/);
      await crashClient.createCollection('replayed', { vectors: { size: dim, distance: 'Cosine' } });
      for (let from = 0; from < vectors.length; from += 1000) {
        await crashClient.upsert('replayed', {
          wait: true,
          points: vectors.slice(from, from + 1000).map((vector, i) => ({ id: from + i, vector })),
        });
      }
      const before = await answers(crashClient);
      // No snapshot on the way down: the restart replays the three logged upserts.
      child.process.kill('SIGKILL');
      await child.exited();
      child = server();
      crashClient = new QdrantClient({ url: await child.httpUrl() });
      await child.waitForLog(/^Strata is ready$/);
      assert.deepEqual(await answers(crashClient), before);
    } finally {
      child.process.kill('SIGTERM');
      await child.exited();
    }
  });

  it('refuses a bad vector.buildThreads with a message naming the key', () => {
    for (const value of ['-1', '65', '1.5', 'many']) {
      assert.throws(
        () => loadConfig({ flags: { 'vector.buildThreads': value } }),
        (error: unknown) =>
          isStrataError(error) &&
          error.code === 'CONFIG_INVALID' &&
          error.message.includes('vector.buildThreads'),
      );
    }
  });
});
