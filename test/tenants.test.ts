/**
 * Tenant isolation (issue 5, docs/decisions/0008) on a started platform: every route, called with
 * a valid admin key of another tenant, is refused or sees nothing, and leaves the owner's data as
 * it was. The table covers every operation the OpenAPI document lists, so a new route without a
 * case here fails the test.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Platform } from '../src/platform/index.js';
import { scaleConfig, scaleHandler, writeModel } from './support/model-repository.js';
import { startPlatform, tempDataDir } from './support/platform.js';

let platform: Platform;
let url: string;
/** The first start's admin key: tenant `default`, the platform's operators. */
let owner: string;
/** An admin key of tenant `acme`. */
let intruder: string;

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

async function call(method: string, path: string, key: string | undefined, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

async function ok(method: string, path: string, key: string, body?: unknown): Promise<unknown> {
  const answer = await call(method, path, key, body);
  assert.ok(
    answer.status < 300,
    `${method} ${path}: ${String(answer.status)} ${JSON.stringify(answer.body)}`,
  );
  return answer.body;
}

const infer = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] };
const points = { points: [1, 2] };

/** What "sees nothing" means for an answer that succeeded. */
type Empty = (body: unknown) => boolean;
const noCollections: Empty = (b) =>
  (b as { result: { collections: unknown[] } }).result.collections.length === 0;
const noOwnerModels: Empty = (b) => (b as { name: string }[]).every((entry) => entry.name !== 'scale');
const noOpenAIModels: Empty = (b) => (b as { data: unknown[] }).data.length === 0;
const notThere: Empty = (b) => !(b as { result: { exists: boolean } }).result.exists;
const onlyOwnKeys: Empty = (b) =>
  (b as { keys: { name: string }[] }).keys.every((k) => k.name.startsWith('acme'));
const serverWide: Empty = () => true;
/** GraphQL answers 200 and puts a refusal in `errors`: the owner's collection is not there. */
const graphqlNotFound: Empty = (b) =>
  (b as { errors?: { extensions: { code: string } }[] }).errors?.[0]?.extensions.code === 'NOT_FOUND';
/** The owner's model, asked for by name over GraphQL: neither loaded nor ready for the other tenant. */
const graphqlNoModel: Empty = (b) => {
  const model = (b as { data: { model: { ready: boolean; metadata: unknown } } }).data.model;
  return !model.ready && model.metadata === null;
};
const noSnapshots: Empty = (b) => (b as { result: unknown[] }).result.length === 0;
/** Qdrant answers the deletion of a collection that is not there with `result: false`. */
const nothingDeleted: Empty = (b) => !(b as { result: boolean }).result;

/**
 * Every operation, as the other tenant calls it against the owner's collection `orders` and model
 * `scale`: the statuses it may get (refused: 403 or 404), or, for listings and server-wide answers,
 * a check that it saw nothing of the owner's.
 */
const cases: readonly {
  readonly method: string;
  readonly route: string;
  readonly path?: string;
  readonly body?: unknown;
  readonly empty?: Empty;
  /** Statuses that refuse, when not 403 or 404. */
  readonly refused?: readonly number[];
}[] = [
  { method: 'GET', route: '/collections', empty: noCollections },
  { method: 'GET', route: '/collections/{collection_name}' },
  { method: 'PUT', route: '/collections/{collection_name}', body: { vectors: { size: 2, distance: 'Dot' } } },
  { method: 'PATCH', route: '/collections/{collection_name}', body: { hnsw_config: { ef_construct: 50 } } },
  { method: 'DELETE', route: '/collections/{collection_name}', empty: nothingDeleted },
  { method: 'GET', route: '/collections/{collection_name}/exists', empty: notThere },
  {
    method: 'PUT',
    route: '/collections/{collection_name}/points',
    body: { points: [{ id: 9, vector: [1, 1] }] },
  },
  { method: 'POST', route: '/collections/{collection_name}/points', body: { ids: [1, 2] } },
  {
    method: 'GET',
    route: '/collections/{collection_name}/points/{id}',
    path: '/collections/orders/points/1',
  },
  { method: 'POST', route: '/collections/{collection_name}/points/delete', body: points },
  {
    method: 'POST',
    route: '/collections/{collection_name}/points/payload',
    body: { payload: { a: 9 }, ...points },
  },
  {
    method: 'PUT',
    route: '/collections/{collection_name}/points/payload',
    body: { payload: { a: 9 }, ...points },
  },
  {
    method: 'POST',
    route: '/collections/{collection_name}/points/payload/delete',
    body: { keys: ['a'], ...points },
  },
  { method: 'POST', route: '/collections/{collection_name}/points/payload/clear', body: points },
  { method: 'POST', route: '/collections/{collection_name}/points/scroll', body: {} },
  { method: 'POST', route: '/collections/{collection_name}/points/count', body: {} },
  {
    method: 'POST',
    route: '/collections/{collection_name}/points/search',
    body: { vector: [1, 0], limit: 3 },
  },
  {
    method: 'POST',
    route: '/collections/{collection_name}/points/search/batch',
    body: { searches: [{ vector: [1, 0], limit: 3 }] },
  },
  { method: 'POST', route: '/collections/{collection_name}/points/query', body: { query: [1, 0], limit: 3 } },
  {
    method: 'POST',
    route: '/collections/{collection_name}/points/query/batch',
    body: { searches: [{ query: [1, 0] }] },
  },
  { method: 'POST', route: '/collections/{collection_name}/clusters', body: { k: 2 } },
  { method: 'PUT', route: '/collections/{collection_name}/pca', body: { components: 1 } },
  { method: 'DELETE', route: '/collections/{collection_name}/pca' },
  {
    method: 'PUT',
    route: '/collections/{collection_name}/index',
    body: { field_name: 'b', field_schema: 'keyword' },
  },
  {
    method: 'DELETE',
    route: '/collections/{collection_name}/index/{field_name}',
    path: '/collections/orders/index/a',
  },
  { method: 'POST', route: '/collections/{collection_name}/snapshots' },
  { method: 'GET', route: '/collections/{collection_name}/snapshots', empty: noSnapshots },
  { method: 'GET', route: '/collections/{collection_name}/snapshots/{snapshot_name}' },
  { method: 'DELETE', route: '/collections/{collection_name}/snapshots/{snapshot_name}' },
  // The owner's snapshot file by its location: answered as if it were not there.
  { method: 'PUT', route: '/collections/{collection_name}/snapshots/recover', body: 'owner-snapshot' },
  // An upload only ever restores into the caller's own namespace (checked below with a real file);
  // here, a JSON body is not a snapshot file.
  {
    method: 'POST',
    route: '/collections/{collection_name}/snapshots/upload',
    body: {},
    refused: [415],
  },
  { method: 'GET', route: '/v2/', empty: serverWide },
  { method: 'GET', route: '/v2/models/{model}' },
  { method: 'GET', route: '/v2/models/{model}/versions/{version}' },
  {
    method: 'POST',
    route: '/graphql',
    body: {
      query:
        'mutation { upsertPoints(collection: "orders", points: [{ id: 9, vector: [1, 1] }]) { status } }',
    },
    empty: graphqlNotFound,
  },
  {
    method: 'GET',
    route: '/graphql',
    path: `/graphql?query=${encodeURIComponent('{ model(name: "scale") { ready metadata { name } } }')}`,
    empty: graphqlNoModel,
  },
  // Not ready, exactly as for a model that is not there (the protocol's answer is 400, no body).
  { method: 'GET', route: '/v2/models/{model}/ready', refused: [400] },
  { method: 'GET', route: '/v2/models/{model}/versions/{version}/ready', refused: [400] },
  { method: 'POST', route: '/v2/models/{model}/infer', body: infer },
  { method: 'POST', route: '/v2/models/{model}/versions/{version}/infer', body: infer },
  { method: 'POST', route: '/v2/repository/index', body: {}, empty: noOwnerModels },
  { method: 'POST', route: '/v2/repository/models/{model}/load' },
  { method: 'POST', route: '/v2/repository/models/{model}/unload' },
  { method: 'GET', route: '/v1/models', empty: noOpenAIModels },
  { method: 'GET', route: '/v1/models/{id}', path: '/v1/models/scale' },
  { method: 'POST', route: '/v1/embeddings', body: { model: 'scale', input: 'hello' } },
  {
    method: 'POST',
    route: '/v1/chat/completions',
    body: { model: 'scale', messages: [{ role: 'user', content: 'hi' }] },
  },
  { method: 'GET', route: '/admin/keys', empty: onlyOwnKeys },
  { method: 'POST', route: '/admin/keys', body: { name: 'x', roles: ['viewer'], tenant: 'default' } },
  { method: 'DELETE', route: '/admin/keys/{id}' },
  { method: 'POST', route: '/admin/keys/{id}/rotate' },
];

/** Routes anyone may call (no tenant resource behind them). */
const publicRoutes = new Set(['/', '/healthz', '/readyz', '/metrics', '/v2/health/live', '/v2/health/ready']);

let ownerKeyId: string;
/** A snapshot of the owner's `orders`, and its file URL on the server. */
let ownerSnapshot: string;
let ownerSnapshotLocation: string;

function pathOf(route: string): string {
  return route
    .replace('{collection_name}', 'orders')
    .replace('{model}', 'scale')
    .replace('{version}', '1')
    .replace('{id}', ownerKeyId)
    .replace('{snapshot_name}', ownerSnapshot);
}

const settings = {
  'security.auth.enabled': 'true',
  'serving.startupModels': 'scale,acme-scale,shared',
  // Every route is called once without credentials from this one address: more failures than
  // the default bucket lets pass (test/failed-authentications.test.ts covers that bucket).
  'security.rateLimit.failedAuthentications.burst': '1000',
};
let dataDir: string;

before(async () => {
  dataDir = tempDataDir('tenants');
  const models = join(dataDir, 'models');
  await writeModel(models, 'scale', scaleConfig(), { 1: { 'model.js': scaleHandler('tenants-scale', 2) } });
  await writeModel(models, 'acme-scale', scaleConfig({ tenants: ['acme'] }), {
    1: { 'model.js': scaleHandler('tenants-acme', 3) },
  });
  await writeModel(models, 'shared', scaleConfig({ tenants: ['*'] }), {
    1: { 'model.js': scaleHandler('tenants-shared', 4) },
  });
  ({ platform, url } = await startPlatform(dataDir, ['all'], settings));
  owner = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
  intruder = (
    (await ok('POST', '/admin/keys', owner, { tenant: 'acme', name: 'acme admin', roles: ['admin'] })) as {
      key: string;
    }
  ).key;
  ownerKeyId = (
    (await ok('POST', '/admin/keys', owner, { name: 'owner reader', roles: ['viewer'] })) as {
      id: string;
    }
  ).id;
  await ok('PUT', '/collections/orders', owner, { vectors: { size: 2, distance: 'Dot' } });
  await ok('PUT', '/collections/orders/points?wait=true', owner, {
    points: [
      { id: 1, vector: [1, 0], payload: { a: 1 } },
      { id: 2, vector: [0, 1], payload: { a: 2 } },
    ],
  });
  await ok('PUT', '/collections/orders/index', owner, { field_name: 'a', field_schema: 'integer' });
  ownerSnapshot = ((await ok('POST', '/collections/orders/snapshots', owner)) as { result: { name: string } })
    .result.name;
  ownerSnapshotLocation = pathToFileURL(
    join(dataDir, 'vector', 'user-snapshots', 'orders', ownerSnapshot),
  ).href;
});

after(async () => {
  await platform.shutdown();
});

describe('tenants', () => {
  it('covers every route of the API in the cross-tenant table', async () => {
    const document = (await ok('GET', '/openapi.json', owner)) as { paths: Record<string, object> };
    const listed = Object.entries(document.paths).flatMap(([route, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${route}`),
    );
    const covered = new Set(cases.map((c) => `${c.method} ${c.route}`));
    const missing = listed.filter(
      (op) => !covered.has(op) && !publicRoutes.has(op.slice(op.indexOf(' ') + 1)),
    );
    assert.deepEqual(missing, [], 'routes without a cross-tenant case');
  });

  it('answers every route of the table 401 without credentials', async () => {
    for (const c of cases) {
      const path = c.path === undefined ? pathOf(c.route) : c.path.replace('{id}', ownerKeyId);
      const body = c.body === 'owner-snapshot' ? { location: ownerSnapshotLocation } : c.body;
      const answer = await call(c.method, path, undefined, body);
      assert.equal(answer.status, 401, `${c.method} ${path}: ${JSON.stringify(answer.body)}`);
    }
  });

  it("refuses every route, or shows nothing, to another tenant's admin", async () => {
    // Creating "orders" makes the other tenant's own collection (checked below), so it goes last.
    const isCreate = (c: (typeof cases)[number]) =>
      c.method === 'PUT' && c.route === '/collections/{collection_name}';
    for (const c of [...cases].sort((a, b) => Number(isCreate(a)) - Number(isCreate(b)))) {
      const path = c.path === undefined ? pathOf(c.route) : c.path.replace('{id}', ownerKeyId);
      const body = c.body === 'owner-snapshot' ? { location: ownerSnapshotLocation } : c.body;
      const answer = await call(c.method, path, intruder, body);
      const label = `${c.method} ${path}: ${String(answer.status)} ${JSON.stringify(answer.body)}`;
      if (c.empty !== undefined) {
        assert.equal(answer.status, 200, label);
        assert.ok(c.empty(answer.body), label);
      } else if (isCreate(c)) {
        assert.equal(answer.status, 200, label);
      } else {
        assert.ok((c.refused ?? [403, 404]).includes(answer.status), label);
      }
    }
  });

  it("left the owner's collection, points, index, model and keys as they were", async () => {
    const info = (await ok('GET', '/collections/orders', owner)) as {
      result: {
        points_count: number;
        config: { params: { vectors: { size: number } } };
        payload_schema: object;
      };
    };
    assert.equal(info.result.points_count, 2);
    assert.equal(info.result.config.params.vectors.size, 2);
    assert.deepEqual(Object.keys(info.result.payload_schema), ['a']);
    const point = (await ok('GET', '/collections/orders/points/1', owner)) as { result: { payload: object } };
    assert.deepEqual(point.result.payload, { a: 1 });
    const ready = await call('GET', '/v2/models/scale/ready', owner);
    assert.equal(ready.status, 200);
    const snapshots = (await ok('GET', '/collections/orders/snapshots', owner)) as {
      result: { name: string }[];
    };
    assert.deepEqual(
      snapshots.result.map((snapshot) => snapshot.name),
      [ownerSnapshot],
    );
    const keys = (await ok('GET', '/admin/keys', owner)) as { keys: { id: string; revokedAt?: string }[] };
    assert.equal(keys.keys.find((k) => k.id === ownerKeyId)?.revokedAt, undefined);
  });

  it('gives each tenant its own namespace: the same name is two collections', async () => {
    await ok('DELETE', '/collections/orders', intruder);
    await ok('PUT', '/collections/orders', intruder, { vectors: { size: 3, distance: 'Cosine' } });
    await ok('PUT', '/collections/orders/points?wait=true', intruder, {
      points: [{ id: 7, vector: [1, 2, 3] }],
    });
    const theirs = (await ok('GET', '/collections/orders', intruder)) as { result: { points_count: number } };
    const mine = (await ok('GET', '/collections/orders', owner)) as { result: { points_count: number } };
    assert.equal(theirs.result.points_count, 1);
    assert.equal(mine.result.points_count, 2);
    const listed = (await ok('GET', '/collections', intruder)) as {
      result: { collections: { name: string }[] };
    };
    assert.deepEqual(listed.result.collections, [{ name: 'orders' }]);
    const search = await call('POST', '/collections/orders/points/search', intruder, {
      vector: [1, 0],
      limit: 1,
    });
    assert.equal(search.status, 400, 'the 3-d collection is the one searched, not the 2-d one');
  });

  it('keeps both namespaces across a restart', async () => {
    await platform.shutdown();
    ({ platform, url } = await startPlatform(dataDir, ['all'], settings));
    const count = async (key: string) =>
      ((await ok('POST', '/collections/orders/points/count', key, {})) as { result: { count: number } })
        .result.count;
    assert.equal(await count(owner), 2);
    assert.equal(await count(intruder), 1);
  });

  it("restores snapshots only into the caller's namespace: another tenant's file is its own copy", async () => {
    const response = await fetch(`${url}/collections/orders/snapshots/${ownerSnapshot}`, {
      headers: { authorization: `Bearer ${owner}` },
    });
    assert.equal(response.status, 200);
    const form = new FormData();
    form.append('snapshot', new Blob([await response.arrayBuffer()]), 'orders.snapshot');
    // The file reached the other tenant outside Strata (as a backup may): restoring it makes its own collection.
    const uploaded = await fetch(`${url}/collections/copied/snapshots/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${intruder}` },
      body: form,
    });
    assert.equal(uploaded.status, 200, await uploaded.text());
    const theirs = (await ok('GET', '/collections/copied', intruder)) as { result: { points_count: number } };
    assert.equal(theirs.result.points_count, 2);
    assert.equal((await call('GET', '/collections/copied', owner)).status, 404);
    const theirSnapshots = (await ok('POST', '/collections/copied/snapshots', intruder)) as {
      result: { name: string };
    };
    const theirLocation = pathToFileURL(
      join(dataDir, 'vector', 'user-snapshots', '%2Eacme.copied', theirSnapshots.result.name),
    ).href;
    // The owner cannot reach the other tenant's snapshot by its location either.
    const refused = await call('PUT', '/collections/orders/snapshots/recover', owner, {
      location: theirLocation,
    });
    assert.equal(refused.status, 404, JSON.stringify(refused.body));
    const listed = (await ok('GET', '/collections/copied/snapshots', owner)) as { result: unknown[] };
    assert.deepEqual(listed.result, []);
  });

  it('serves a model to the tenants its config lists', async () => {
    assert.equal((await call('POST', '/v2/models/acme-scale/infer', intruder, infer)).status, 200);
    assert.equal((await call('POST', '/v2/models/acme-scale/infer', owner, infer)).status, 404);
    for (const key of [owner, intruder]) {
      assert.equal((await call('POST', '/v2/models/shared/infer', key, infer)).status, 200);
    }
    const index = (await ok('POST', '/v2/repository/index', intruder, {})) as { name: string }[];
    assert.deepEqual([...new Set(index.map((entry) => entry.name))].sort(), ['acme-scale', 'shared']);
  });

  it('keeps key administration within the tenant, except for the platform tenant provisioning others', async () => {
    const refused = await call('POST', '/admin/keys', intruder, {
      tenant: 'other',
      name: 'x',
      roles: ['admin'],
    });
    assert.equal(refused.status, 403);
    const listed = (await ok('GET', '/admin/keys?tenant=acme', owner)) as { keys: { name: string }[] };
    assert.deepEqual(
      listed.keys.map((k) => k.name),
      ['acme admin'],
    );
    const bad = await call('POST', '/admin/keys', owner, { tenant: '../etc', name: 'x', roles: ['admin'] });
    assert.equal(bad.status, 400);
  });
});
