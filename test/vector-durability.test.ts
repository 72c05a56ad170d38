/**
 * Every acknowledged write survives: a clean restart, and a `kill -9` in the middle of a stream of
 * writes. The server runs as a real child process (`strata start --target vector`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Child, cliPath } from './support/cli.js';
import { startPlatform, tempDataDir } from './support/platform.js';

const vectorOf = (i: number): number[] => [i, i % 13, Math.sqrt(i), 1];
/** Vectors are stored as float32, as in Qdrant: what comes back is each component rounded once. */
const stored = (vector: number[]): number[] => vector.map(Math.fround);

async function put(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function startServer(dataDir: string): Child {
  return new Child(cliPath, [
    'start',
    '--target',
    'vector',
    '--data-dir',
    dataDir,
    '--set',
    'server.httpPort=0',
    '--set',
    'server.grpcPort=0',
    '--set',
    'security.auth.enabled=false',
  ]);
}

describe('vector durability', () => {
  it('keeps points, payloads and deletes across a clean restart', async () => {
    const dataDir = tempDataDir('restart');
    let { platform, url } = await startPlatform(dataDir, ['vector']);
    assert.equal(
      (await put(url, '/collections/kept', { vectors: { size: 4, distance: 'Euclid' } })).status,
      200,
    );
    const points = Array.from({ length: 100 }, (_, i) => ({ id: i, vector: vectorOf(i), payload: { i } }));
    assert.equal((await put(url, '/collections/kept/points', { points })).status, 200);
    await fetch(`${url}/collections/kept/points/delete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points: [7, 8] }),
    });
    await platform.shutdown();

    ({ platform, url } = await startPlatform(dataDir, ['vector']));
    try {
      const count = (await (
        await fetch(`${url}/collections/kept/points/count`, { method: 'POST' })
      ).json()) as {
        result: { count: number };
      };
      assert.equal(count.result.count, 98);
      const point = (await (await fetch(`${url}/collections/kept/points/42`)).json()) as {
        result: { payload: unknown; vector: number[] };
      };
      assert.deepEqual(point.result.payload, { i: 42 });
      assert.deepEqual(point.result.vector, stored(vectorOf(42)));
      assert.equal((await fetch(`${url}/collections/kept/points/7`)).status, 404);
    } finally {
      await platform.shutdown();
    }
  });

  it('refuses a second process on the same data directory, naming the one that holds it', async () => {
    const dataDir = tempDataDir('locked');
    const { platform } = await startPlatform(dataDir, ['vector']);
    try {
      const second = startServer(dataDir);
      const finished = await second.exited();
      assert.notEqual(finished.code, 0);
      assert.match(second.stdout + second.stderr, new RegExp(`in use by process ${process.pid} on`));
    } finally {
      await platform.shutdown();
    }
  });

  it('keeps every acknowledged point after kill -9 in the middle of a stream of writes', async () => {
    const dataDir = tempDataDir('kill');
    let child = startServer(dataDir);
    let url = await child.httpUrl();
    await child.waitForLog(/^Strata is ready$/);
    assert.equal(
      (await put(url, '/collections/crash', { vectors: { size: 4, distance: 'Dot' } })).status,
      200,
    );

    // Four concurrent writers; a point is acknowledged when its upsert answered 200.
    const acknowledged = new Map<number, number[]>();
    let next = 0;
    let killed = false;
    const writer = async (): Promise<void> => {
      while (!killed) {
        const ids = [next++, next++, next++];
        const points = ids.map((id) => ({ id, vector: vectorOf(id), payload: { id } }));
        try {
          const response = await put(url, '/collections/crash/points?wait=true', { points });
          if (response.status === 200) for (const id of ids) acknowledged.set(id, vectorOf(id));
        } catch {
          return; // the server died mid-request: this batch was never acknowledged
        }
      }
    };
    const writers = Promise.all([writer(), writer(), writer(), writer()]);
    while (acknowledged.size < 600) await new Promise((resolve) => setTimeout(resolve, 5));
    child.process.kill('SIGKILL');
    killed = true;
    await writers;
    const exit = await child.exited();
    assert.equal(exit.signal, 'SIGKILL');

    child = startServer(dataDir);
    url = await child.httpUrl();
    await child.waitForLog(/^Strata is ready$/);
    try {
      const ids = [...acknowledged.keys()];
      const response = await fetch(`${url}/collections/crash/points`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ids, with_vector: true, with_payload: true }),
      });
      const body = (await response.json()) as {
        result: { id: number; vector: number[]; payload: { id: number } }[];
      };
      const found = new Map(body.result.map((point) => [point.id, point]));
      for (const [id, vector] of acknowledged) {
        const point = found.get(id);
        assert.ok(point !== undefined, `acknowledged point ${id} is present after the crash`);
        assert.deepEqual(point.vector, stored(vector));
        assert.deepEqual(point.payload, { id });
      }
    } finally {
      child.process.kill('SIGTERM');
      await child.exited();
    }
  });
});
