/**
 * The vector API through the official Qdrant client (@qdrant/js-client-rest), unchanged: if these
 * pass, applications written for Qdrant work against Strata.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { QdrantClient } from '@qdrant/js-client-rest';
import { VectorPlatform } from './support/vector-platform.js';

const server = new VectorPlatform('qdrant', { 'server.bodyLimitBytes': '65536' });

const vectorOf = (i: number): number[] => [Math.cos(i), Math.sin(i), (i % 7) / 7, 1];

describe('Qdrant-compatible REST API', () => {
  it("answers the client's version probe, so the default compatibility check passes quietly", async (t) => {
    const warnings: unknown[] = [];
    t.mock.method(console, 'warn', (...args: unknown[]) => warnings.push(args));
    const checked = new QdrantClient({ url: server.url });
    assert.deepEqual(await checked.versionInfo(), {
      title: 'strata (Qdrant-compatible vector API)',
      version: '1.19.0',
    });
    await checked.getCollections();
    assert.deepEqual(warnings, []);
  });

  it('creates, describes, lists and deletes collections', async () => {
    assert.equal(
      await server.client.createCollection('scratch', { vectors: { size: 4, distance: 'Dot' } }),
      true,
    );
    assert.deepEqual(await server.client.collectionExists('scratch'), { exists: true });
    const info = await server.client.getCollection('scratch');
    assert.equal(info.points_count, 0);
    assert.deepEqual(info.config.params.vectors, { size: 4, distance: 'Dot' });
    assert.ok((await server.client.getCollections()).collections.some((c) => c.name === 'scratch'));
    assert.equal(await server.client.deleteCollection('scratch'), true);
    assert.deepEqual(await server.client.collectionExists('scratch'), { exists: false });
  });

  it('upserts, retrieves, queries, scrolls and counts points', async () => {
    await server.client.createCollection('items', {
      vectors: { size: 4, distance: 'Cosine' },
      hnsw_config: { m: 8 },
    });
    const points = Array.from({ length: 50 }, (_, i) => ({
      id: i,
      vector: vectorOf(i),
      payload: { group: i % 5, name: `item-${i}`, meta: { even: i % 2 === 0 } },
    }));
    const result = await server.client.upsert('items', { wait: true, points });
    assert.equal(result.status, 'completed');
    await server.client.upsert('items', {
      batch: {
        ids: ['5f1c3a9e-0b6e-4b55-9d55-0a8a3f2c1b7e'],
        vectors: [[1, 0, 0, 0]],
        payloads: [{ group: 9 }],
      },
    });
    assert.equal((await server.client.count('items', { exact: true })).count, 51);

    const retrieved = await server.client.retrieve('items', { ids: [3], with_vector: true });
    assert.equal(retrieved.length, 1);
    const first = retrieved[0];
    assert.ok(first !== undefined);
    assert.equal(first.id, 3);
    assert.deepEqual(first.payload, { group: 3, name: 'item-3', meta: { even: false } });
    assert.ok(Array.isArray(first.vector) && first.vector.length === 4);

    const found = await server.client.query('items', { query: vectorOf(10), limit: 3, with_payload: true });
    assert.equal(found.points[0]?.id, 10, 'the point itself is nearest');
    assert.ok(found.points.every((point, i) => i === 0 || point.score <= (found.points[0]?.score ?? 1)));
    assert.ok((found.points.at(0)?.score ?? 0) > 0.999);
    assert.equal(found.points.length, 3);

    const filtered = await server.client.query('items', {
      query: vectorOf(10),
      limit: 5,
      filter: { must: [{ key: 'group', match: { value: 2 } }] },
      with_payload: true,
    });
    assert.ok(filtered.points.length > 0);
    assert.ok(filtered.points.every((p) => (p.payload as { group: number }).group === 2));

    const batch = await server.client.queryBatch('items', {
      searches: [
        { query: vectorOf(1), limit: 1 },
        { query: vectorOf(2), limit: 1 },
      ],
    });
    assert.deepEqual(
      batch.map((b) => b.points[0]?.id),
      [1, 2],
    );

    const seen: (string | number)[] = [];
    let offset: string | number | undefined;
    for (;;) {
      const page = await server.client.scroll('items', {
        limit: 20,
        ...(offset === undefined ? {} : { offset }),
      });
      seen.push(...page.points.map((p) => p.id));
      if (page.next_page_offset === null || page.next_page_offset === undefined) break;
      offset = page.next_page_offset as string | number;
    }
    assert.equal(seen.length, 51, 'scroll visits every point once');
    assert.deepEqual(seen.slice(0, 3), [0, 1, 2]);
    assert.equal(seen.at(-1), '5f1c3a9e-0b6e-4b55-9d55-0a8a3f2c1b7e', 'UUIDs after integers');

    const evens = await server.client.count('items', {
      filter: { must: [{ key: 'meta.even', match: { value: true } }] },
    });
    assert.equal(evens.count, 25);
    const estimate = await server.client.count('items', {
      exact: false,
      filter: { must: [{ key: 'meta.even', match: { value: true } }] },
    });
    assert.ok(Math.abs(estimate.count - 25) <= 5, `approximate count ${estimate.count} is near 25`);
  });

  it('creates payload indexes that filtered search uses, with the same answers', async () => {
    const filter = { must: [{ key: 'group', match: { value: 3 } }] };
    const before = await server.client.query('items', { query: vectorOf(8), limit: 5, filter });
    await server.client.createPayloadIndex('items', {
      field_name: 'group',
      field_schema: 'integer',
      wait: true,
    });
    const info = await server.client.getCollection('items');
    assert.deepEqual(info.payload_schema['group'], { data_type: 'integer', points: 51 });
    const after = await server.client.query('items', { query: vectorOf(8), limit: 5, filter });
    assert.deepEqual(
      after.points.map((p) => p.id),
      before.points.map((p) => p.id),
    );
    await server.client.deletePayloadIndex('items', 'group', { wait: true });
    assert.equal((await server.client.getCollection('items')).payload_schema['group'], undefined);
  });

  it('sets, overwrites and deletes payload keys, by ids and by filter', async () => {
    await server.client.setPayload('items', { payload: { color: 'red' }, points: [1, 2] });
    await server.client.setPayload('items', {
      payload: { shade: 'dark' },
      filter: { must: [{ has_id: [2] }] },
    });
    let [one, two] = await server.client.retrieve('items', { ids: [1, 2] });
    assert.equal((one?.payload as Record<string, unknown>)['color'], 'red');
    assert.equal((two?.payload as Record<string, unknown>)['shade'], 'dark');

    await server.client.deletePayload('items', { keys: ['color'], points: [1] });
    await server.client.overwritePayload('items', { payload: { only: true }, points: [2] });
    [one, two] = await server.client.retrieve('items', { ids: [1, 2] });
    assert.equal((one?.payload as Record<string, unknown>)['color'], undefined);
    assert.deepEqual(two?.payload, { only: true });

    await server.client.clearPayload('items', { points: [2] });
    [two] = await server.client.retrieve('items', { ids: [2] });
    assert.deepEqual(two?.payload, {});
  });

  it('deletes points by ids and by filter', async () => {
    await server.client.delete('items', { points: [0, 1] });
    await server.client.delete('items', { filter: { must: [{ key: 'group', match: { value: 4 } }] } });
    const remaining = await server.client.count('items', {});
    assert.equal(remaining.count, 51 - 2 - 10);
    const gone = await server.client.retrieve('items', { ids: [0, 4, 9] });
    assert.deepEqual(gone, []);
    const found = await server.client.query('items', { query: vectorOf(0), limit: 50 });
    assert.ok(found.points.every((p) => p.id !== 0 && p.id !== 1 && p.id !== 4));
  });
});

describe('Qdrant-compatible REST API: bad input', () => {
  async function raw(
    method: string,
    path: string,
    body?: string,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  function errorOf(json: Record<string, unknown>): { error: string; code: string } {
    return json['status'] as { error: string; code: string };
  }

  before(async () => {
    await server.client.createCollection('guarded', { vectors: { size: 3, distance: 'Euclid' } });
    await server.client.upsert('guarded', { points: [{ id: 1, vector: [1, 2, 3], payload: { a: 1 } }] });
  });

  const cases: [string, string, string, string | undefined, number, string, RegExp][] = [
    [
      'wrong dimension',
      'PUT',
      '/collections/guarded/points',
      '{"points":[{"id":2,"vector":[1,2]}]}',
      400,
      'INVALID_ARGUMENT',
      /2 dimensions; the collection expects 3/,
    ],
    [
      'Infinity',
      'PUT',
      '/collections/guarded/points',
      '{"points":[{"id":2,"vector":[1,2,1e999]}]}',
      400,
      'INVALID_ARGUMENT',
      /finite/,
    ],
    [
      'null component',
      'PUT',
      '/collections/guarded/points',
      '{"points":[{"id":2,"vector":[1,null,3]}]}',
      400,
      'INVALID_ARGUMENT',
      /finite/,
    ],
    [
      'negative id',
      'PUT',
      '/collections/guarded/points',
      '{"points":[{"id":-1,"vector":[1,2,3]}]}',
      400,
      'INVALID_ARGUMENT',
      /unsigned integer or a UUID/,
    ],
    [
      'unknown collection',
      'POST',
      '/collections/nope/points/query',
      '{"query":[1,2,3]}',
      404,
      'NOT_FOUND',
      /collection nope does not exist/,
    ],
    [
      'invalid filter',
      'POST',
      '/collections/guarded/points/count',
      '{"filter":{"must":[{"key":"a","range":{"gte":"x"}}]}}',
      400,
      'INVALID_ARGUMENT',
      /range/,
    ],
    [
      'duplicate collection',
      'PUT',
      '/collections/guarded',
      '{"vectors":{"size":3,"distance":"Euclid"}}',
      409,
      'ALREADY_EXISTS',
      /already exists/,
    ],
    [
      'bad distance',
      'PUT',
      '/collections/other',
      '{"vectors":{"size":3,"distance":"Hamming"}}',
      400,
      'INVALID_ARGUMENT',
      /distance must be one of/,
    ],
    [
      'path traversal name',
      'PUT',
      '/collections/..%2Fetc',
      '{"vectors":{"size":3,"distance":"Dot"}}',
      400,
      'INVALID_ARGUMENT',
      /collection name/,
    ],
    [
      'malformed JSON',
      'PUT',
      '/collections/guarded/points',
      '{"points": [',
      400,
      'MALFORMED_REQUEST',
      /JSON/,
    ],
    [
      'oversized request',
      'PUT',
      '/collections/guarded/points',
      JSON.stringify({ points: [{ id: 3, vector: [1, 2, 3], payload: { big: 'x'.repeat(70_000) } }] }),
      413,
      'PAYLOAD_TOO_LARGE',
      /./,
    ],
    [
      'query of wrong dimension',
      'POST',
      '/collections/guarded/points/query',
      '{"query":[1,2]}',
      400,
      'INVALID_ARGUMENT',
      /expects 3/,
    ],
  ];

  for (const [name, method, path, body, status, code, message] of cases) {
    it(`${name} → ${status} ${code}, and the collection stays intact`, async () => {
      const response = await raw(method, path, body);
      assert.equal(response.status, status, JSON.stringify(response.json));
      assert.equal(errorOf(response.json).code, code);
      assert.match(errorOf(response.json).error, message);
      const [point] = await server.client.retrieve('guarded', { ids: [1], with_vector: true });
      assert.deepEqual(point?.vector, [1, 2, 3]);
      assert.equal((await server.client.count('guarded', {})).count, 1);
    });
  }
});
