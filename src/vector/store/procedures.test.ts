import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../kernel/index.js';
import type { VectorModule } from '../vector-module.js';
import type { VectorProcedures } from './procedures.js';
import type { CollectionChange } from './change-feed.js';
import { startVectorModule } from '../../../test/support/vector-module.js';

const create = { vectors: { size: 2, distance: 'Cosine' } };

function points(...ids: number[]): unknown {
  return { points: ids.map((id) => ({ id, vector: [1, id], payload: { id } })) };
}

describe('VectorProcedures.watchCollections', () => {
  let dataDir: string;
  let module: VectorModule;
  let vectors: VectorProcedures;
  const logLines: string[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-watch-vector-'));
    module = await startVectorModule(
      dataDir,
      createLogger('error', { write: (line: string) => void logLines.push(line) }),
    );
    vectors = module.procedures;
  });

  after(async () => {
    await module.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reports created, each update with its operation and id, and deleted, each after it is applied', async () => {
    const seen: CollectionChange[] = [];
    const countsSeen: number[] = [];
    const stop = vectors.watchCollections('orders', (change) => {
      seen.push(change);
      if (change.change === 'updated') countsSeen.push(vectors.count('orders', {}).count);
    });
    await vectors.createCollection('orders', create);
    const upserted = await vectors.upsert('orders', points(1, 2));
    const payload = await vectors.setPayload('orders', { points: [1], payload: { tag: 'a' } });
    const index = await vectors.createPayloadIndex('orders', { field_name: 'tag', field_schema: 'keyword' });
    const removed = await vectors.deletePoints('orders', { points: [2] });
    await vectors.updateCollection('orders', { hnsw_config: { m: 8 } });
    await vectors.deleteCollection('orders');
    stop();
    assert.deepEqual(seen, [
      { collection: 'orders', change: 'created', pointsCount: 0 },
      {
        collection: 'orders',
        change: 'updated',
        operation: 'upsert',
        operationId: upserted.operation_id,
        pointsCount: 2,
      },
      {
        collection: 'orders',
        change: 'updated',
        operation: 'set_payload',
        operationId: payload.operation_id,
        pointsCount: 2,
      },
      {
        collection: 'orders',
        change: 'updated',
        operation: 'create_payload_index',
        operationId: index.operation_id,
        pointsCount: 2,
      },
      {
        collection: 'orders',
        change: 'updated',
        operation: 'delete',
        operationId: removed.operation_id,
        pointsCount: 1,
      },
      {
        collection: 'orders',
        change: 'updated',
        operation: 'update_hnsw',
        operationId: removed.operation_id + 1,
        pointsCount: 1,
      },
      { collection: 'orders', change: 'deleted', pointsCount: 0 },
    ]);
    // A listener reading the collection already sees each change.
    assert.deepEqual(countsSeen, [2, 2, 2, 1, 1]);
  });

  it('reports only the named collection, every collection when none is named, and nothing after unsubscribing', async () => {
    const named: string[] = [];
    const all: string[] = [];
    const stopNamed = vectors.watchCollections('a', (change) =>
      named.push(`${change.collection} ${change.change}`),
    );
    const stopAll = vectors.watchCollections(undefined, (change) =>
      all.push(`${change.collection} ${change.change}`),
    );
    await vectors.createCollection('a', create);
    await vectors.createCollection('b', create);
    await vectors.upsert('b', points(1));
    stopNamed();
    stopAll();
    await vectors.upsert('a', points(1));
    await vectors.deleteCollection('a');
    await vectors.deleteCollection('b');
    assert.deepEqual(named, ['a created']);
    assert.deepEqual(all, ['a created', 'b created', 'b updated']);
  });

  it("keeps tenants apart: a tenant sees its own changes under the client's name, never another tenant's", async () => {
    const acme = vectors.forTenant('acme');
    const acmeSeen: string[] = [];
    const defaultSeen: string[] = [];
    const stops = [
      acme.watchCollections(undefined, (change) => acmeSeen.push(`${change.collection} ${change.change}`)),
      acme.watchCollections('shared', (change) =>
        acmeSeen.push(`named ${change.collection} ${change.change}`),
      ),
      vectors.watchCollections(undefined, (change) =>
        defaultSeen.push(`${change.collection} ${change.change}`),
      ),
    ];
    await vectors.createCollection('shared', create);
    await vectors.upsert('shared', points(1, 2, 3));
    await vectors.createCollection('defaults-only', create);
    await acme.createCollection('shared', create);
    await acme.upsert('shared', points(1));
    await acme.deleteCollection('shared');
    await vectors.deleteCollection('shared');
    await vectors.deleteCollection('defaults-only');
    for (const stop of stops) stop();
    assert.deepEqual(acmeSeen, [
      'shared created',
      'named shared created',
      'shared updated',
      'named shared updated',
      'shared deleted',
      'named shared deleted',
    ]);
    assert.deepEqual(defaultSeen, [
      'shared created',
      'shared updated',
      'defaults-only created',
      'shared deleted',
      'defaults-only deleted',
    ]);
  });

  it('answers the upsert and tells the other listeners when a listener throws, and logs it', async () => {
    const seen: CollectionChange[] = [];
    const stops = [
      vectors.watchCollections('fragile', () => {
        throw new Error('listener bug');
      }),
      vectors.watchCollections('fragile', (change) => seen.push(change)),
    ];
    await vectors.createCollection('fragile', create);
    const result = await vectors.upsert('fragile', points(1));
    assert.equal(result.status, 'completed');
    assert.equal(vectors.count('fragile', {}).count, 1);
    await vectors.deleteCollection('fragile');
    for (const stop of stops) stop();
    assert.deepEqual(
      seen.map((change) => change.change),
      ['created', 'updated', 'deleted'],
    );
    const logged = logLines.filter((line) => line.includes('a collection change listener threw'));
    assert.equal(logged.length, 3);
    assert.match(logged[0] ?? '', /listener bug/);
  });

  it('refuses to watch a name no collection can have', () => {
    assert.throws(
      () => vectors.watchCollections('../etc', () => undefined),
      (error: unknown) => (error as { code?: string }).code === 'INVALID_ARGUMENT',
    );
  });
});
