/**
 * GraphQL at /graphql on a started platform with authentication on (issue 6, item 3): queries and
 * mutations over the same procedures as REST, errors with `extensions.code`, authentication and
 * roles as on every route, keys and tenants for admins, subscriptions over WebSocket, and the
 * GraphiQL page from local files. (Batched loading and the query limits: src/gateway/graphql/
 * graphql-edge.test.ts; the same scenario on three protocols: test/protocol-parity.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Platform } from '../src/platform/index.js';
import { identityHandler, scaleConfig, scaleHandler, writeModel } from './support/model-repository.js';
import { createKey, startPlatform, tempDataDir } from './support/platform.js';

let platform: Platform;
let url: string;
let admin: string;

interface GraphQLAnswer {
  readonly status: number;
  readonly data?: Record<string, unknown> | null;
  readonly errors?: readonly { message: string; path?: string[]; extensions: { code: string } }[];
  readonly headers: Headers;
}

async function graphql(
  query: string,
  options: { key?: string | undefined; variables?: Record<string, unknown> } = {},
): Promise<GraphQLAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.key !== undefined) headers['authorization'] = `Bearer ${options.key}`;
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const body = (await response.json()) as Omit<GraphQLAnswer, 'status' | 'headers'>;
  return { ...body, status: response.status, headers: response.headers };
}

/** The answer's data, failing the test with its errors when there are any. */
async function data(
  query: string,
  key = admin,
  variables?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const answer = await graphql(query, { key, ...(variables === undefined ? {} : { variables }) });
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
  assert.equal(answer.status, 200);
  return answer.data ?? {};
}

function codeOf(answer: GraphQLAnswer): string | undefined {
  return answer.errors?.[0]?.extensions.code;
}

function subscriber(connectionParams: Record<string, unknown> | undefined): Client {
  return createClient({
    url: `${url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    ...(connectionParams === undefined ? {} : { connectionParams }),
  });
}

/** The first `count` events of a subscription, then it is stopped. */
async function firstEvents(
  client: Client,
  query: string,
  count: number,
  whileSubscribed: () => Promise<void>,
): Promise<unknown[]> {
  const events: unknown[] = [];
  const iterator = client.iterate({ query });
  const collected = (async () => {
    for await (const event of iterator) {
      events.push(event.data);
      if (events.length === count) break;
    }
  })();
  // Its failure is awaited below; until then it must not count as unhandled.
  collected.catch(() => undefined);
  // graphql-ws sends the subscribe message once the connection is acknowledged; give the server
  // that round trip before causing the events.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await whileSubscribed();
  await collected;
  return events;
}

before(async () => {
  const dataDir = tempDataDir('graphql');
  const models = join(dataDir, 'models');
  await writeModel(models, 'scale', scaleConfig(), { 1: { 'model.js': scaleHandler('graphql-scale', 2) } });
  await writeModel(
    models,
    'identity',
    {
      backend: 'typescript',
      max_batch_size: 0,
      inputs: ['FP32', 'INT64', 'UINT8', 'BOOL', 'BYTES'].map((datatype) => ({
        name: `in_${datatype}`,
        datatype,
        shape: [-1],
      })),
      outputs: ['FP32', 'INT64', 'UINT8', 'BOOL', 'BYTES'].map((datatype) => ({
        name: `out_${datatype}`,
        datatype,
        shape: [-1],
      })),
    },
    { 1: { 'model.js': identityHandler } },
  );
  ({ platform, url } = await startPlatform(dataDir, ['all'], {
    'security.auth.enabled': 'true',
    'serving.startupModels': 'scale,identity',
  }));
  admin = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
});

after(async () => {
  await platform.shutdown();
});

describe('GraphQL', () => {
  it('creates a collection, upserts, searches with a filter, reads and deletes points', async () => {
    await data('mutation { createCollection(name: "docs", dimension: 2, distance: Dot) { name } }');
    const upserted = await data(
      `mutation ($points: [PointInput!]!) { upsertPoints(collection: "docs", points: $points) { operationId status } }`,
      admin,
      {
        points: [
          { id: 1, vector: [1, 0], payload: { kind: 'a', n: 1 } },
          { id: 2, vector: [0.9, 0.1], payload: { kind: 'b', n: 2 } },
          { id: '0f6c8f4e-3a0b-4b5e-9d4a-2c1e7b9a8d11', vector: [0.5, 0.5], payload: { kind: 'a', n: 3 } },
        ],
      },
    );
    assert.deepEqual(upserted, { upsertPoints: { operationId: 1, status: 'completed' } });
    const found = await data(`{
      search(collection: "docs", vector: [1, 0], limit: 5, filter: { must: [{ key: "kind", match: { value: "a" } }] }) {
        id score payload
      }
      collection(name: "docs") { name info { pointsCount dimension distance } }
    }`);
    assert.deepEqual(found, {
      search: [
        { id: 1, score: 1, payload: { kind: 'a', n: 1 } },
        { id: '0f6c8f4e-3a0b-4b5e-9d4a-2c1e7b9a8d11', score: 0.5, payload: { kind: 'a', n: 3 } },
      ],
      collection: { name: 'docs', info: { pointsCount: 3, dimension: 2, distance: 'Dot' } },
    });
    const points = await data(
      '{ points(collection: "docs", ids: [2], withVector: true) { id vector payload } }',
    );
    assert.deepEqual(points, {
      points: [{ id: 2, vector: [Math.fround(0.9), Math.fround(0.1)], payload: { kind: 'b', n: 2 } }],
    });
    await data(
      'mutation { deletePoints(collection: "docs", filter: { must: [{ key: "n", range: { gte: 2 } }] }) { status } }',
    );
    const left = await data('{ collections { name info { pointsCount } } }');
    assert.deepEqual(left, { collections: [{ name: 'docs', info: { pointsCount: 1 } }] });
  });

  it('runs a model on every datatype, 64-bit integers beyond 2^53 as strings, and refuses bad tensors with a code', async () => {
    const inputs = [
      { name: 'in_FP32', datatype: 'FP32', shape: [3], data: [0.5, -1.25, 'Infinity'] },
      { name: 'in_INT64', datatype: 'INT64', shape: [2], data: [-7, '9007199254740993'] },
      { name: 'in_UINT8', datatype: 'UINT8', shape: [2], data: [0, 255] },
      { name: 'in_BOOL', datatype: 'BOOL', shape: [2], data: [true, false] },
      { name: 'in_BYTES', datatype: 'BYTES', shape: [1], data: ['héllo'] },
    ];
    const answer = await data(
      'query ($inputs: [TensorInput!]!) { infer(model: "identity", inputs: $inputs, id: "r1") { model version id cached outputs { name datatype shape data } } }',
      admin,
      { inputs },
    );
    const result = answer['infer'] as { outputs: { name: string; data: unknown[] }[] };
    assert.deepEqual(
      result.outputs.map((output) => [output.name, output.data]),
      [
        ['out_FP32', [0.5, -1.25, 'Infinity']],
        ['out_INT64', [-7, '9007199254740993']],
        ['out_UINT8', [0, 255]],
        ['out_BOOL', [true, false]],
        ['out_BYTES', ['héllo']],
      ],
    );
    assert.deepEqual(
      { ...result, outputs: undefined },
      {
        model: 'identity',
        version: 1,
        id: 'r1',
        cached: false,
        outputs: undefined,
      },
    );
    const scaled = await data(
      '{ infer(model: "scale", inputs: [{ name: "x", datatype: "FP32", shape: [1, 2], data: [1.5, 2] }]) { outputs { name shape data } } }',
    );
    assert.deepEqual(scaled, { infer: { outputs: [{ name: 'y', shape: [1, 2], data: [3, 4] }] } });

    const wrongType = await graphql(
      '{ infer(model: "scale", inputs: [{ name: "x", datatype: "FP32", shape: [1], data: ["a"] }]) { model } }',
      { key: admin },
    );
    assert.equal(codeOf(wrongType), 'INVALID_ARGUMENT');
    assert.match(wrongType.errors?.[0]?.message ?? '', /input 'x'/);
    const unknown = await graphql(
      '{ infer(model: "nope", inputs: [{ name: "x", datatype: "FP32", shape: [1], data: [1] }]) { model } }',
      { key: admin },
    );
    assert.equal(codeOf(unknown), 'NOT_FOUND');
    assert.equal(unknown.status, 200, 'an operation that ran answers 200 with its errors');
  });

  it('lists models with their versions, readiness and metadata, and loads and unloads them', async () => {
    const listed = await data(
      '{ models { name ready versions { version state } metadata { platform inputs { name datatype shape } } } }',
    );
    const models = listed['models'] as { name: string }[];
    assert.deepEqual(
      models.find((model) => model.name === 'scale'),
      {
        name: 'scale',
        ready: true,
        versions: [{ version: 1, state: 'READY' }],
        metadata: { platform: 'typescript', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }] },
      },
    );
    await data('mutation { unloadModel(name: "scale") }');
    assert.deepEqual(await data('{ model(name: "scale") { ready metadata { name } } }'), {
      model: { ready: false, metadata: null },
    });
    assert.deepEqual(await data('mutation { loadModel(name: "scale") { ready } }'), {
      loadModel: { ready: true },
    });
  });

  it('answers errors in the GraphQL shape with a code and the HTTP status of a request that never ran', async () => {
    const anonymous = await graphql('{ collections { name } }');
    assert.equal(anonymous.status, 401);
    assert.equal(codeOf(anonymous), 'UNAUTHENTICATED');
    assert.equal(anonymous.data, undefined);
    const forged = await graphql('{ collections { name } }', { key: 'strata_000000000000_forged' });
    assert.equal(forged.status, 401);
    const syntax = await graphql('{ collections { name }', { key: admin });
    assert.equal(syntax.status, 400);
    assert.equal(codeOf(syntax), 'MALFORMED_REQUEST');
    const unknownField = await graphql('{ secrets }', { key: admin });
    assert.equal(unknownField.status, 400);
    assert.equal(codeOf(unknownField), 'INVALID_ARGUMENT');
    const missing = await graphql('{ collection(name: "nope") { name } }', { key: admin });
    assert.equal(missing.status, 200);
    assert.equal(codeOf(missing), 'NOT_FOUND');
    assert.deepEqual(missing.errors?.[0]?.path, ['collection']);
    const badFilter = await graphql(
      '{ search(collection: "docs", vector: [1, 0], filter: { must: 3 }) { id } }',
      {
        key: admin,
      },
    );
    assert.equal(codeOf(badFilter), 'INVALID_ARGUMENT');
    const badId = await graphql('{ points(collection: "docs", ids: [-1]) { id } }', { key: admin });
    assert.equal(badId.status, 400);
    assert.equal(codeOf(badId), 'INVALID_ARGUMENT');
    // A mutation must be a POST: GET runs queries only.
    const viaGet = await fetch(
      `${url}/graphql?query=${encodeURIComponent('mutation { deleteCollection(name: "docs") }')}`,
      { headers: { authorization: `Bearer ${admin}` } },
    );
    assert.equal(viaGet.status, 400);
    assert.equal(((await viaGet.json()) as GraphQLAnswer).errors?.[0]?.extensions.code, 'INVALID_ARGUMENT');
  });

  it("applies roles as every route does: a viewer reads but does not write, and another tenant sees nothing of this one's", async () => {
    const viewer = await createKey(url, admin, { name: 'graphql viewer', roles: ['viewer'] });
    assert.deepEqual(await data('{ collections { name } }', viewer), { collections: [{ name: 'docs' }] });
    const write = await graphql('mutation { deleteCollection(name: "docs") }', { key: viewer });
    assert.equal(codeOf(write), 'PERMISSION_DENIED');
    const keys = await graphql('{ apiKeys { id } }', { key: viewer });
    assert.equal(codeOf(keys), 'PERMISSION_DENIED');
    const other = await createKey(url, admin, { tenant: 'acme', name: 'acme admin', roles: ['admin'] });
    assert.deepEqual(await data('{ collections { name } }', other), { collections: [] });
    const theirs = await graphql('{ collection(name: "docs") { info { pointsCount } } }', { key: other });
    assert.equal(codeOf(theirs), 'NOT_FOUND');
  });

  it('manages keys and lists tenants for admins of the default tenant only', async () => {
    const created = await data(
      'mutation { createApiKey(name: "ci", roles: ["editor"], tenant: "beta") { key apiKey { id tenant roles } } }',
    );
    const issued = created['createApiKey'] as { key: string; apiKey: { id: string; tenant: string } };
    assert.equal(issued.apiKey.tenant, 'beta');
    assert.deepEqual(await data('{ collections { name } }', issued.key), { collections: [] });
    const tenants = (await data('{ tenants { id activeKeys } }'))['tenants'] as { id: string }[];
    assert.deepEqual(
      tenants.map((tenant) => tenant.id),
      ['acme', 'beta', 'default'],
    );
    const listed = await data('query ($t: String) { apiKeys(tenant: $t) { id name } }', admin, { t: 'beta' });
    assert.deepEqual(listed, { apiKeys: [{ id: issued.apiKey.id, name: 'ci' }] });
    const acmeAdmin = await createKey(url, admin, { tenant: 'acme', name: 'acme admin 2', roles: ['admin'] });
    assert.equal(codeOf(await graphql('{ tenants { id } }', { key: acmeAdmin })), 'PERMISSION_DENIED');
    assert.equal(
      codeOf(await graphql('{ apiKeys(tenant: "beta") { id } }', { key: acmeAdmin })),
      'PERMISSION_DENIED',
    );
    await data(`mutation { revokeApiKey(id: "${issued.apiKey.id}") { revokedAt } }`);
    assert.equal((await graphql('{ collections { name } }', { key: issued.key })).status, 401);
  });

  it('streams collection changes over WebSocket to a subscriber with a key in its connection_init', async () => {
    const client = subscriber({ authorization: `Bearer ${admin}` });
    try {
      const events = await firstEvents(
        client,
        'subscription { collectionChanged(collection: "live") { collection change operation operationId pointsCount } }',
        3,
        async () => {
          await data('mutation { createCollection(name: "live", dimension: 2, distance: Cosine) { name } }');
          await data(
            'mutation { upsertPoints(collection: "live", points: [{ id: 1, vector: [1, 2] }]) { status } }',
          );
          await data('mutation { deleteCollection(name: "live") }');
        },
      );
      assert.deepEqual(events, [
        {
          collectionChanged: {
            collection: 'live',
            change: 'created',
            operation: null,
            operationId: null,
            pointsCount: 0,
          },
        },
        {
          collectionChanged: {
            collection: 'live',
            change: 'updated',
            operation: 'upsert',
            operationId: 1,
            pointsCount: 1,
          },
        },
        {
          collectionChanged: {
            collection: 'live',
            change: 'deleted',
            operation: null,
            operationId: null,
            pointsCount: 0,
          },
        },
      ]);
    } finally {
      await client.dispose();
    }
  });

  it('streams model state changes, and refuses a subscription without credentials with a code', async () => {
    const client = subscriber({ 'api-key': admin });
    try {
      const events = await firstEvents(
        client,
        'subscription { modelStateChanged(model: "scale") { model version state } }',
        4,
        async () => {
          await data('mutation { unloadModel(name: "scale") }');
          await data('mutation { loadModel(name: "scale") { name } }');
        },
      );
      assert.deepEqual(
        events.map((event) => (event as { modelStateChanged: { state: string } }).modelStateChanged.state),
        ['UNLOADING', 'UNAVAILABLE', 'LOADING', 'READY'],
      );
    } finally {
      await client.dispose();
    }
    const anonymous = subscriber(undefined);
    try {
      await assert.rejects(
        firstEvents(anonymous, 'subscription { collectionChanged { collection } }', 1, async () => undefined),
        (errors: unknown) => {
          const [error] = errors as { extensions: { code: string } }[];
          assert.equal(error?.extensions.code, 'UNAUTHENTICATED');
          return true;
        },
      );
    } finally {
      await anonymous.dispose();
    }
  });

  it('serves GraphiQL from local files only, under a content security policy', async () => {
    const page = await fetch(`${url}/graphiql`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await page.text();
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
    assert.equal(references.length, 6);
    for (const reference of references) {
      assert.ok(reference.startsWith('/graphiql/'), `${reference} is not served by Strata`);
      const asset = await fetch(url + reference);
      assert.equal(asset.status, 200, reference);
      assert.ok((await asset.arrayBuffer()).byteLength > 0, reference);
    }
  });
});
