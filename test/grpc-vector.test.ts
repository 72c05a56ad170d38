import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Client,
  credentials,
  loadPackageDefinition,
  type Metadata,
  status,
  type ClientWritableStream,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { protoLoadOptions, vectorProtoPath, vectorServiceName } from '../src/gateway/index.js';
import type { Platform } from '../src/platform/index.js';
import { callMethod, grpcMethod, metadataOf, reflectedServices, unaryCall } from './support/grpc.js';
import { createKey, startPlatform, tempDataDir } from './support/platform.js';

/**
 * strata.vector.v1.VectorService through a client generated from proto/strata_vector_v1.proto,
 * against started platforms: one with authentication off for the protocol (checked against the
 * Qdrant REST answers for the same queries), one with it on for metadata credentials.
 */

type Streaming = (
  metadata: Metadata,
  options: { deadline?: number },
  callback: (error: ServiceError | null, response: unknown) => void,
) => ClientWritableStream<unknown>;

const definition = loadPackageDefinition(loadSync(vectorProtoPath, protoLoadOptions));
const Service = ((definition['strata'] as Record<string, Record<string, Record<string, unknown>>>)[
  'vector'
]?.['v1']?.['VectorService'] ?? assert.fail('VectorService in the proto')) as ServiceClientConstructor;

/** A promise-returning client for one server. */
function clientFor(port: number | undefined) {
  assert.ok(port !== undefined, 'the gRPC port is bound');
  const client: Client & Record<string, unknown> = new Service(
    `127.0.0.1:${port}`,
    credentials.createInsecure(),
  );
  const call = <T>(method: string, request: unknown = {}, metadata: Record<string, string> = {}) =>
    callMethod<T>(client, method, request, metadata);
  /** UpsertStream with `batches` sent in order; `keepOpen` leaves the stream unfinished. */
  const upsertStream = <T>(
    batches: readonly unknown[],
    options: { metadata?: Record<string, string>; deadlineMs?: number; keepOpen?: boolean } = {},
  ): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const stream = (client['UpsertStream'] as Streaming).call(
        client,
        metadataOf(options.metadata ?? {}),
        options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs },
        (error, response) => {
          if (error !== null) reject(error);
          else resolve(response as T);
        },
      );
      for (const batch of batches) stream.write(batch);
      if (options.keepOpen !== true) stream.end();
    });
  return { client, call, upsertStream };
}

/** The gRPC status an awaited call failed with. */
async function statusOf(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (error) {
    const { code, details } = error as ServiceError;
    return { code, details };
  }
  assert.fail('the call succeeded');
}

const colors = ['red', 'green', 'blue'] as const;

/** Point `i` of a 4-dimensional collection; every coordinate is exact in float32. */
function pointOf(i: number) {
  return {
    id: { num: String(i) },
    vector: [(i % 7) / 4, (i % 5) / 4, (i % 3) / 2, 1],
    payload_json: JSON.stringify({ color: colors[i % 3], i }),
  };
}

interface PointId {
  num?: string;
  uuid?: string;
}
interface ScoredPoint {
  id: PointId;
  score: number;
  payload_json: string;
  vector: number[];
}

describe('strata.vector.v1.VectorService, authentication off', () => {
  let platform: Platform;
  let url: string;
  let rpc: ReturnType<typeof clientFor>;

  before(async () => {
    ({ platform, url } = await startPlatform(tempDataDir('grpc-vector'), ['all'], {
      'server.grpcMaxMessageBytes': String(256 * 1024),
    }));
    rpc = clientFor(platform.server.grpc.port);
    await rpc.call('CreateCollection', { collection_name: 'docs', size: 4, distance: 'Cosine' });
  });

  after(async () => {
    rpc.client.close();
    await platform.shutdown();
  });

  it('creates, lists and describes collections', async () => {
    await rpc.call('CreateCollection', { collection_name: 'spare', size: 2, distance: 'Dot' });
    const { names } = await rpc.call<{ names: string[] }>('ListCollections');
    assert.deepEqual([...names].sort(), ['docs', 'spare']);
    const { info_json } = await rpc.call<{ info_json: string }>('GetCollection', {
      collection_name: 'spare',
    });
    const info = JSON.parse(info_json) as { config: { params: { vectors: { size: number } } } };
    assert.equal(info.config.params.vectors.size, 2);
    assert.deepEqual(await rpc.call('DeleteCollection', { collection_name: 'spare' }), { deleted: true });
  });

  it('upserts unary and streamed batches, then searches with a filter as REST does', async () => {
    const first = await rpc.call<{ status: string }>('Upsert', {
      collection_name: 'docs',
      points: [0, 1, 2].map(pointOf),
    });
    assert.equal(first.status, 'completed');
    const batches = Array.from({ length: 5 }, (_, b) => ({
      collection_name: 'docs',
      points: Array.from({ length: 200 }, (_, i) => pointOf(3 + b * 200 + i)),
    }));
    const summary = await rpc.upsertStream<{ batches: number; points: string }>(batches);
    assert.equal(summary.batches, 5);
    assert.equal(summary.points, '1000');

    const filter = { must: [{ key: 'color', match: { value: 'red' } }] };
    const query = { vector: [0.5, 0.25, 1, 1], limit: 7, with_payload: true };
    const { points } = await rpc.call<{ points: ScoredPoint[] }>('Search', {
      ...query,
      collection_name: 'docs',
      filter_json: JSON.stringify(filter),
    });
    const response = await fetch(`${url}/collections/docs/points/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...query, filter }),
    });
    const rest = ((await response.json()) as { result: { id: number; score: number; payload: unknown }[] })
      .result;
    assert.equal(points.length, 7);
    assert.deepEqual(
      points.map((p) => ({
        id: Number(p.id.num),
        score: p.score,
        payload: JSON.parse(p.payload_json) as unknown,
      })),
      rest.map((p) => ({ id: p.id, score: p.score, payload: p.payload })),
    );
  });

  it('says what a search did with explain, as REST does, and nothing without it', async () => {
    const filter = { must: [{ key: 'color', match: { value: 'red' } }] };
    const filter_json = JSON.stringify(filter);
    const search = { collection_name: 'docs', vector: [0.5, 0.25, 1, 1], limit: 3, filter_json };
    const explained = await rpc.call<{ explain_json: string }>('Search', { ...search, explain: true });
    const explain = JSON.parse(explained.explain_json) as { filter: { path: string }; scored: number };
    assert.equal(explain.filter.path, 'exact-scan');
    assert.ok(explain.scored > 0);
    const rest = await fetch(`${url}/collections/docs/points/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        vector: search.vector,
        limit: 3,
        filter,
        params: { explain: true },
      }),
    });
    assert.deepEqual(explain, ((await rest.json()) as { explain: unknown }).explain);
    assert.equal((await rpc.call<{ explain_json: string }>('Search', search)).explain_json, '');
    const { results } = await rpc.call<{ results: { explain_json: string }[] }>('SearchBatch', {
      collection_name: 'docs',
      searches: [search, { ...search, explain: true }],
    });
    assert.equal(results[0]?.explain_json, '');
    assert.deepEqual(JSON.parse(results[1]?.explain_json ?? ''), explain);
  });

  it('searches in batches, retrieves, scrolls pages and deletes', async () => {
    const { results } = await rpc.call<{ results: { points: ScoredPoint[] }[] }>('SearchBatch', {
      collection_name: 'docs',
      searches: [
        { vector: [1, 0, 0, 1], limit: 2 },
        { vector: [0, 1, 0, 1], limit: 3 },
      ],
    });
    assert.deepEqual(
      results.map((r) => r.points.length),
      [2, 3],
    );

    const retrieved = await rpc.call<{ points: { id: PointId; vector: number[]; payload_json: string }[] }>(
      'Retrieve',
      {
        collection_name: 'docs',
        ids: [{ num: '5' }, { num: '999999' }],
        with_payload: true,
        with_vector: true,
      },
    );
    assert.equal(retrieved.points.length, 1);
    assert.deepEqual(JSON.parse(retrieved.points[0]?.payload_json ?? ''), { color: 'blue', i: 5 });
    assert.equal(retrieved.points[0]?.vector.length, 4);

    const seen: string[] = [];
    let offset: PointId | null = null;
    for (let page = 0; page < 3; page++) {
      const answer: { points: { id: PointId }[]; next_page_offset: PointId | null } = await rpc.call(
        'Scroll',
        {
          collection_name: 'docs',
          limit: 4,
          offset,
          filter_json: JSON.stringify({ must: [{ key: 'i', range: { lt: 10 } }] }),
        },
      );
      seen.push(...answer.points.map((p) => p.id.num ?? ''));
      offset = answer.next_page_offset;
    }
    assert.deepEqual(seen, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(offset, null);

    await rpc.call('Delete', { collection_name: 'docs', ids: [{ num: '5' }] });
    await rpc.call('Delete', {
      collection_name: 'docs',
      filter_json: JSON.stringify({ must: [{ key: 'i', match: { value: 6 } }] }),
    });
    const after = await rpc.call<{ points: unknown[] }>('Retrieve', {
      collection_name: 'docs',
      ids: [{ num: '5' }, { num: '6' }, { num: '7' }],
    });
    assert.equal(after.points.length, 1);
  });

  it('takes UUID point ids, and refuses integers beyond 2^53 instead of rounding them', async () => {
    const uuid = '4b1f3c2e-8d7a-4e5f-9a0b-1c2d3e4f5a6b';
    await rpc.call('Upsert', { collection_name: 'docs', points: [{ ...pointOf(0), id: { uuid } }] });
    const { points } = await rpc.call<{ points: { id: PointId }[] }>('Retrieve', {
      collection_name: 'docs',
      ids: [{ uuid }],
    });
    assert.deepEqual(
      points.map((p) => p.id.uuid),
      [uuid],
    );
    const huge = { ...pointOf(0), id: { num: '9007199254740993' } };
    const refused = await statusOf(rpc.call('Upsert', { collection_name: 'docs', points: [huge] }));
    assert.equal(refused.code, status.INVALID_ARGUMENT);
    await rpc.call('Delete', { collection_name: 'docs', ids: [{ uuid }] });
  });

  it('answers NOT_FOUND and INVALID_ARGUMENT with the procedures’ messages', async () => {
    const missing = await statusOf(rpc.call('Search', { collection_name: 'nope', vector: [1, 0, 0, 0] }));
    assert.equal(missing.code, status.NOT_FOUND);
    const wrong = await statusOf(
      rpc.call('Upsert', { collection_name: 'docs', points: [{ ...pointOf(5000), vector: [1, 2] }] }),
    );
    assert.equal(wrong.code, status.INVALID_ARGUMENT);
    const notJson = await statusOf(
      rpc.call('Search', { collection_name: 'docs', vector: [1, 0, 0, 0], filter_json: '{' }),
    );
    assert.equal(notJson.code, status.INVALID_ARGUMENT);
  });

  it('refuses a message over server.grpcMaxMessageBytes with RESOURCE_EXHAUSTED', async () => {
    const points = Array.from({ length: 5000 }, (_, i) => pointOf(10_000 + i));
    const tooLarge = await statusOf(rpc.call('Upsert', { collection_name: 'docs', points }));
    assert.equal(tooLarge.code, status.RESOURCE_EXHAUSTED);
  });

  it('fails a stream at its bad batch, naming it, with the batches before it applied', async () => {
    const batch = (ids: number[]) => ({ collection_name: 'docs', points: ids.map(pointOf) });
    const bad = { collection_name: 'docs', points: [{ ...pointOf(2002), vector: [1] }] };
    const failed = await statusOf(rpc.upsertStream([batch([2000]), batch([2001]), bad, batch([2003])]));
    assert.equal(failed.code, status.INVALID_ARGUMENT);
    assert.match(failed.details, /^batch 2: /);
    const { points } = await rpc.call<{ points: { id: PointId }[] }>('Retrieve', {
      collection_name: 'docs',
      ids: [2000, 2001, 2002, 2003].map((i) => ({ num: String(i) })),
    });
    assert.deepEqual(
      points.map((p) => p.id.num),
      ['2000', '2001'],
    );
  });

  it('answers DEADLINE_EXCEEDED when a stream outlives its deadline', async () => {
    const open = await statusOf(
      rpc.upsertStream([{ collection_name: 'docs', points: [pointOf(3000)] }], {
        deadlineMs: 300,
        keepOpen: true,
      }),
    );
    assert.equal(open.code, status.DEADLINE_EXCEEDED);
  });

  it('is listed by reflection and reported by grpc.health.v1', async () => {
    const client = new Client(`127.0.0.1:${platform.server.grpc.port ?? 0}`, credentials.createInsecure());
    const services = await reflectedServices(client);
    assert.ok(services.includes(vectorServiceName), services.join(', '));
    const check = grpcMethod(healthProtoPath, 'grpc.health.v1.Health', 'Check');
    assert.deepEqual(await unaryCall(client, check, { service: vectorServiceName }), { status: 'SERVING' });
    client.close();
  });
});

describe('strata.vector.v1.VectorService, authentication on', () => {
  let platform: Platform;
  let url: string;
  let admin: string;
  let rpc: ReturnType<typeof clientFor>;

  const newKey = (body: Record<string, unknown>): Promise<string> => createKey(url, admin, body);

  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const search = { collection_name: 'shared', vector: [1, 0, 0, 0], limit: 1 };

  before(async () => {
    const dataDir = tempDataDir('grpc-vector-auth');
    ({ platform, url } = await startPlatform(dataDir, ['all'], { 'security.auth.enabled': 'true' }));
    admin = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
    rpc = clientFor(platform.server.grpc.port);
    await rpc.call(
      'CreateCollection',
      { collection_name: 'shared', size: 4, distance: 'Cosine' },
      bearer(admin),
    );
    await rpc.call('Upsert', { collection_name: 'shared', points: [pointOf(1)] }, bearer(admin));
  });

  after(async () => {
    rpc.client.close();
    await platform.shutdown();
  });

  it('refuses calls without credentials', async () => {
    assert.equal((await statusOf(rpc.call('Search', search))).code, status.UNAUTHENTICATED);
    assert.equal((await statusOf(rpc.call('ListCollections'))).code, status.UNAUTHENTICATED);
    const streamed = await statusOf(rpc.upsertStream([{ collection_name: 'shared', points: [pointOf(2)] }]));
    assert.equal(streamed.code, status.UNAUTHENTICATED);
  });

  it('lets a viewer search but not upsert, through authorization or api-key metadata', async () => {
    const viewer = await newKey({ name: 'grpc vector viewer', roles: ['viewer'] });
    const found = await rpc.call<{ points: unknown[] }>('Search', search, bearer(viewer));
    assert.equal(found.points.length, 1);
    await rpc.call('Search', search, { 'api-key': viewer });
    const upsert = { collection_name: 'shared', points: [pointOf(3)] };
    assert.equal((await statusOf(rpc.call('Upsert', upsert, bearer(viewer)))).code, status.PERMISSION_DENIED);
    const streamed = await statusOf(rpc.upsertStream([upsert], { metadata: bearer(viewer) }));
    assert.equal(streamed.code, status.PERMISSION_DENIED);
  });

  it("hides a collection from another tenant's key", async () => {
    const acme = await newKey({ name: 'acme vector admin', roles: ['admin'], tenant: 'acme' });
    assert.equal((await statusOf(rpc.call('Search', search, bearer(acme)))).code, status.NOT_FOUND);
    const { names } = await rpc.call<{ names: string[] }>('ListCollections', {}, bearer(acme));
    assert.deepEqual(names, []);
  });
});
