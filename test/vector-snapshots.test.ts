/**
 * Collection snapshots (issue 7, item 5) through the public API on started platforms: Qdrant's
 * snapshot routes with the official client where it has the call, an upload as a multipart form
 * (what Qdrant's other clients and curl send), a restore into an empty data directory that answers
 * searches exactly as the original, refusals of damaged files and of locations outside the
 * snapshots folder, the `strata snapshots` CLI, and the schedule with its retention.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { QdrantClient } from '@qdrant/js-client-rest';
import type { Platform } from '../src/platform/index.js';
import { runCli } from './support/cli.js';
import { startPlatform, tempDataDir } from './support/platform.js';

const vectorOf = (i: number): number[] => [Math.cos(i), Math.sin(i), (i % 7) / 7, Math.cos(i / 3)];
const filter = { must: [{ key: 'group', match: { value: 2 } }] };

/** What must come back identical after a restore: filtered and unfiltered searches, counts, schema. */
async function observe(client: QdrantClient, collection: string): Promise<unknown> {
  const searches = [];
  for (const i of [0, 3, 11]) {
    searches.push(
      await client.query(collection, { query: vectorOf(i + 0.5), limit: 10, with_payload: true }),
    );
    searches.push(
      await client.query(collection, { query: vectorOf(i), limit: 5, filter, with_payload: true }),
    );
  }
  const info = await client.getCollection(collection);
  return {
    searches,
    count: (await client.count(collection, { exact: true })).count,
    filtered: (await client.count(collection, { exact: true, filter })).count,
    vectors: info.config.params.vectors,
    hnsw: info.config.hnsw_config,
    schema: info.payload_schema,
  };
}

async function call(url: string, method: string, path: string, body?: unknown) {
  const response = await fetch(url + path, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as { status: unknown; result?: unknown } };
}

/** Uploads a snapshot file as Qdrant's clients do: a multipart form with the field `snapshot`. */
async function upload(url: string, collection: string, file: Uint8Array, query = '') {
  const form = new FormData();
  form.append('snapshot', new Blob([file]), 'upload.snapshot');
  const response = await fetch(`${url}/collections/${collection}/snapshots/upload${query}`, {
    method: 'POST',
    body: form,
  });
  return { status: response.status, body: (await response.json()) as { status: unknown; result?: unknown } };
}

const codeOf = (answer: { body: { status: unknown } }): unknown =>
  (answer.body.status as { code?: unknown }).code;

let source: { platform: Platform; url: string; dataDir: string };
let client: QdrantClient;
let expected: unknown;
let snapshot: { name: string; size: number; checksum?: string | null };
let file: Buffer;

before(async () => {
  const dataDir = tempDataDir('snapshots-source');
  source = { ...(await startPlatform(dataDir, ['vector'])), dataDir };
  client = new QdrantClient({ url: source.url });
  await client.createCollection('docs', { vectors: { size: 4, distance: 'Cosine' }, hnsw_config: { m: 8 } });
  await client.upsert('docs', {
    wait: true,
    points: Array.from({ length: 300 }, (_, i) => ({
      id: i,
      vector: vectorOf(i),
      payload: { group: i % 5, name: `doc-${String(i)}` },
    })),
  });
  await client.createPayloadIndex('docs', { field_name: 'group', field_schema: 'integer', wait: true });
  await client.delete('docs', { wait: true, points: [1, 2, 3] });
  expected = await observe(client, 'docs');
});

after(async () => {
  await source.platform.shutdown();
});

describe('collection snapshots', () => {
  it('creates a snapshot in Qdrant’s shape, lists it and downloads the file its checksum describes', async () => {
    const created = await client.createSnapshot('docs');
    assert.ok(created !== null);
    snapshot = created;
    assert.match(snapshot.name, /^docs-[\d-]+\.snapshot$/);
    assert.match(snapshot.checksum ?? '', /^[0-9a-f]{64}$/);
    const raw = await call(source.url, 'POST', '/collections/docs/snapshots');
    assert.equal(raw.body.status, 'ok');
    assert.deepEqual(Object.keys(raw.body.result as object).sort(), [
      'checksum',
      'creation_time',
      'name',
      'size',
    ]);
    const listed = await client.listSnapshots('docs');
    assert.ok(listed.some((s) => s.name === snapshot.name && s.checksum === snapshot.checksum));

    const response = await fetch(`${source.url}/collections/docs/snapshots/${snapshot.name}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/octet-stream');
    file = Buffer.from(await response.arrayBuffer());
    assert.equal(file.length, snapshot.size);
    assert.equal(createHash('sha256').update(file).digest('hex'), snapshot.checksum);
  });

  it('restores into an empty data directory with identical search results, also after a restart', async () => {
    const dataDir = tempDataDir('snapshots-target');
    let target = await startPlatform(dataDir, ['vector']);
    try {
      const uploaded = await upload(
        target.url,
        'docs',
        file,
        `?checksum=${snapshot.checksum ?? ''}&priority=snapshot`,
      );
      assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
      assert.equal(uploaded.body.result, true);
      const restored = new QdrantClient({ url: target.url });
      assert.deepEqual(await observe(restored, 'docs'), expected);
      // Under another name too, and the restored collection takes writes that survive a restart.
      assert.equal((await upload(target.url, 'copy', file)).status, 200);
      assert.deepEqual(await observe(restored, 'copy'), expected);
      // Each upload went through a file of its own, removed once restored.
      assert.deepEqual(await readdir(join(dataDir, 'vector', 'uploads')), []);
      await restored.upsert('copy', {
        wait: true,
        points: [{ id: 1000, vector: [1, 0, 0, 0], payload: { group: 2 } }],
      });
      await target.platform.shutdown();
      target = await startPlatform(dataDir, ['vector']);
      const reopened = new QdrantClient({ url: target.url });
      assert.deepEqual(await observe(reopened, 'docs'), expected);
      assert.equal((await reopened.count('copy', { exact: true })).count, 298);
      assert.equal((await reopened.retrieve('copy', { ids: [1000] })).length, 1);
    } finally {
      await target.platform.shutdown();
    }
  });

  it('recovers from a file:// location in the snapshots folder, replacing a changed collection', async () => {
    await client.delete('docs', { wait: true, points: [10, 11, 12] });
    const location = pathToFileURL(
      join(source.dataDir, 'vector', 'user-snapshots', 'docs', snapshot.name),
    ).href;
    assert.equal(
      await client.recoverSnapshot('docs', { location, checksum: snapshot.checksum ?? null }),
      true,
    );
    assert.deepEqual(await observe(client, 'docs'), expected);
    assert.equal(await client.recoverSnapshot('docs-copy', { location }), true);
    assert.deepEqual(await observe(client, 'docs-copy'), expected);
  });

  it('refuses a damaged file, a wrong checksum and a foreign file with INVALID_ARGUMENT, changing nothing', async () => {
    const damaged = Buffer.from(file);
    damaged[damaged.length - 5] = (damaged[damaged.length - 5] ?? 0) ^ 0xff;
    const truncated = file.subarray(0, file.length - 100);
    for (const bad of [damaged, truncated, Buffer.from('PK\u0003\u0004 a Qdrant tar')]) {
      const answer = await upload(source.url, 'docs', bad);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(codeOf(answer), 'INVALID_ARGUMENT');
      assert.match((answer.body.status as { error: string }).error, /snapshot refused/);
    }
    const wrongSum = await upload(source.url, 'docs', file, `?checksum=${'0'.repeat(64)}`);
    assert.equal(wrongSum.status, 400);
    assert.deepEqual(await observe(client, 'docs'), expected);
    assert.equal((await upload(source.url, 'never-made', damaged)).status, 400);
    assert.deepEqual((await call(source.url, 'GET', '/collections/never-made/exists')).body.result, {
      exists: false,
    });
    // A refused upload leaves no file behind either.
    assert.deepEqual(await readdir(join(source.dataDir, 'vector', 'uploads')), []);
  });

  it('refuses locations outside the snapshots folder and snapshot names that traverse', async () => {
    const root = join(source.dataDir, 'vector', 'user-snapshots');
    for (const location of [
      'file:///etc/passwd',
      pathToFileURL(join(source.dataDir, 'vector', 'collections.json')).href,
      `file://${root}/docs/../../collections.json`,
      `file://${root}/docs/%2E%2E/%2E%2E/collections.json`,
      `file://${root}/docs`,
      'http://169.254.169.254/latest/meta-data',
      '/etc/passwd',
      '../docs/x.snapshot',
    ]) {
      const answer = await call(source.url, 'PUT', '/collections/docs/snapshots/recover', { location });
      assert.equal(answer.status, 400, `${location}: ${JSON.stringify(answer.body)}`);
      assert.equal(codeOf(answer), 'INVALID_ARGUMENT', location);
    }
    // Not `%2E%2E` alone: a URL parser resolves it as `..` before the request leaves the client.
    for (const name of [
      '..%2F..%2Fcollections.json',
      '.hidden.snapshot',
      'docs.checksum',
      'a%2F..%2Fb.snapshot',
    ]) {
      for (const method of ['GET', 'DELETE']) {
        const answer = await call(source.url, method, `/collections/docs/snapshots/${name}`);
        assert.equal(answer.status, 400, `${method} ${name}: ${JSON.stringify(answer.body)}`);
        assert.equal(codeOf(answer), 'INVALID_ARGUMENT');
      }
    }
    assert.deepEqual(await observe(client, 'docs'), expected);
  });

  it('deletes a snapshot; a second delete or a download of it is NOT_FOUND', async () => {
    const extra = await client.createSnapshot('docs');
    assert.ok(extra !== null);
    assert.equal(await client.deleteSnapshot('docs', extra.name), true);
    assert.ok(!(await client.listSnapshots('docs')).some((s) => s.name === extra.name));
    for (const method of ['DELETE', 'GET']) {
      const answer = await call(source.url, method, `/collections/docs/snapshots/${extra.name}`);
      assert.equal(answer.status, 404);
      assert.equal(codeOf(answer), 'NOT_FOUND');
    }
    assert.equal((await call(source.url, 'POST', '/collections/nowhere/snapshots')).status, 404);
  });

  it('strata snapshots create, list, download, restore and delete against a running Strata', async () => {
    const flags = ['--url', source.url];
    const created = await runCli(['snapshots', 'create', 'docs', ...flags]);
    assert.equal(created.code, 0, created.stderr);
    const [name = '', , size = '', checksum = ''] = created.stdout.trim().split('\t');
    assert.match(name, /\.snapshot$/);
    const listed = await runCli(['snapshots', 'list', 'docs', ...flags]);
    assert.ok(listed.stdout.includes(name), listed.stdout);

    const output = join(tempDataDir('snapshots-cli'), 'backup.snapshot');
    const downloaded = await runCli(['snapshots', 'download', 'docs', name, '-o', output, ...flags]);
    assert.equal(downloaded.code, 0, downloaded.stderr);
    assert.match(downloaded.stderr, /downloading .* done/);
    assert.equal(
      createHash('sha256')
        .update(await readFile(output))
        .digest('hex'),
      checksum,
    );
    assert.equal(String((await readFile(output)).length), size);

    const restored = await runCli([
      'snapshots',
      'restore',
      'from-cli',
      output,
      '--checksum',
      checksum,
      ...flags,
    ]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stderr, /uploading .* done/);
    assert.deepEqual(await observe(client, 'from-cli'), expected);

    const damaged = `${output}.bad`;
    await writeFile(damaged, Buffer.concat([await readFile(output), Buffer.from('x')]));
    const refused = await runCli(['snapshots', 'restore', 'from-cli', damaged, ...flags]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /snapshot refused: .*nothing was changed/);
    const missing = await runCli([
      'snapshots',
      'download',
      'docs',
      'nope.snapshot',
      '-o',
      `${output}.x`,
      ...flags,
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /has no snapshot nope\.snapshot/);

    const location = pathToFileURL(join(source.dataDir, 'vector', 'user-snapshots', 'docs', name)).href;
    const recovered = await runCli(['snapshots', 'restore', 'by-location', '--location', location, ...flags]);
    assert.equal(recovered.code, 0, recovered.stderr);
    assert.deepEqual(await observe(client, 'by-location'), expected);
    const both = await runCli(['snapshots', 'restore', 'x', output, '--location', location, ...flags]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /either a snapshot file or --location/);

    const usage = await runCli(['snapshots', 'download', 'docs']);
    assert.equal(usage.code, 2, 'a usage error exits 2, as the other commands');
    assert.match(usage.stderr, /missing required argument 'snapshot'/);

    const deleted = await runCli(['snapshots', 'delete', 'docs', name, ...flags]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const unreachable = await runCli(['snapshots', 'list', 'docs', '--url', 'http://127.0.0.1:9']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach Strata .*pass --url/);
  });
});

describe('snapshot uploads', () => {
  it('refuses a file over vector.snapshots.maxUploadBytes with 413 PAYLOAD_TOO_LARGE', async () => {
    const small = await startPlatform(tempDataDir('snapshots-limit'), ['vector'], {
      'vector.snapshots.maxUploadBytes': '4096',
    });
    try {
      assert.ok(file.length > 4096);
      const answer = await upload(small.url, 'docs', file);
      assert.equal(answer.status, 413, JSON.stringify(answer.body));
      assert.equal(codeOf(answer), 'PAYLOAD_TOO_LARGE');
      assert.deepEqual((await call(small.url, 'GET', '/collections/docs/exists')).body.result, {
        exists: false,
      });
    } finally {
      await small.platform.shutdown();
    }
  });
});

describe('scheduled snapshots', () => {
  it('snapshots every collection on schedule and keeps the newest `keep`, never a user’s own', async () => {
    const scheduled = await startPlatform(tempDataDir('snapshots-schedule'), ['vector'], {
      'vector.snapshots.scheduleMinutes': '0.003',
      'vector.snapshots.keep': '2',
    });
    try {
      const each = new QdrantClient({ url: scheduled.url });
      await each.createCollection('timed', { vectors: { size: 4, distance: 'Dot' } });
      await each.upsert('timed', { wait: true, points: [{ id: 1, vector: [1, 2, 3, 4] }] });
      const mine = await each.createSnapshot('timed');
      assert.ok(mine !== null);
      const seen = new Set<string>();
      const deadline = Date.now() + 20_000;
      while (seen.size < 4) {
        assert.ok(Date.now() < deadline, `only ${String(seen.size)} scheduled snapshots appeared`);
        const names = (await each.listSnapshots('timed')).map((s) => s.name);
        const ours = names.filter((n) => n.startsWith('timed.scheduled-'));
        // Each pass writes its snapshot, then deletes the oldest: a listing between the two
        // sees keep + 1.
        assert.ok(ours.length <= 3, `retention: ${names.join(', ')}`);
        assert.ok(names.includes(mine.name), 'the user’s own snapshot is kept');
        for (const name of ours) seen.add(name);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await scheduled.platform.shutdown();
    }
  });
});
