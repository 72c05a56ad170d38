import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { createLogger } from '../../kernel/index.js';
import { VectorModule, type VectorProcedures } from '../../vector/index.js';
import { createHttpServer } from '../rest/http-server.js';
import { testServerConfig } from '../../../test/support/server-config.js';
import { collectionSchema } from './collections.js';
import { GraphQLEdge } from './graphql-edge.js';

/** The vector procedures, counting the calls each method gets. */
function counting(procedures: VectorProcedures, calls: Map<string, number>): VectorProcedures {
  return new Proxy(procedures, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe('GraphQL edge', () => {
  let dataDir: string;
  let module: VectorModule;
  let app: FastifyInstance;
  const calls = new Map<string, number>();

  const query = async (text: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await app.inject({ method: 'POST', url: '/graphql', payload: { query: text } });
    return { status: response.statusCode, body: response.json() };
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-graphql-edge-'));
    module = new VectorModule({
      dataDir,
      registry: new Registry(),
      config: {
        storage: { fsync: 'never', fsyncIntervalMs: 100, segmentBytes: 1 << 20, snapshotsKept: 2 },
        snapshotEveryOperations: 10_000,
        snapshots: { scheduleMinutes: 0, keep: 3, maxUploadBytes: 1 << 20 },
      },
      logger: createLogger('silent'),
    });
    await module.start();
    const config = testServerConfig({ graphql: { maxDepth: 4, maxComplexity: 400, graphiql: false } });
    app = await createHttpServer({
      config,
      logger: createLogger('silent'),
      registry: new Registry(),
      readiness: () => [],
      version: 'test',
    });
    const edge = new GraphQLEdge();
    edge.add(collectionSchema(counting(module.procedures, calls)));
    await edge.register(app, config.graphql, undefined);
    await app.ready();
    for (let i = 0; i < 100; i++) {
      await module.procedures.createCollection(`c${String(i).padStart(3, '0')}`, {
        vectors: { size: 2, distance: 'Dot' },
      });
    }
    await module.procedures.upsert('c007', { points: [{ id: 1, vector: [1, 2] }] });
  });

  after(async () => {
    await app.close();
    await module.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('loads the stats of 100 listed collections with one batched call, not 100', async () => {
    calls.clear();
    const { status, body } = await query('{ collections { name info { pointsCount dimension distance } } }');
    assert.equal(status, 200);
    const collections = (body['data'] as { collections: { name: string; info: { pointsCount: number } }[] })
      .collections;
    assert.equal(collections.length, 100);
    assert.deepEqual(collections[7], {
      name: 'c007',
      info: { pointsCount: 1, dimension: 2, distance: 'Dot' },
    });
    assert.equal(calls.get('getCollections'), 1);
    assert.equal(calls.get('getCollection'), undefined);
  });

  it('refuses a query deeper than maxDepth before it runs, with a code', async () => {
    const deep = await query('{ __schema { types { fields { type { ofType { name } } } } } }');
    assert.equal(deep.status, 400);
    const [error] = deep.body['errors'] as { message: string; extensions: { code: string } }[];
    assert.equal(error?.extensions.code, 'INVALID_ARGUMENT');
    assert.match(error.message, /depth/);
    assert.equal('data' in deep.body, false);
    assert.equal((await query('{ __schema { types { name } } }')).status, 200);
  });

  it('refuses a query above maxComplexity, its cost counted with the variables it is sent with', async () => {
    const text = 'query ($n: Int!) { search(collection: "c007", vector: [1, 2], limit: $n) { id score } }';
    const send = (n: number) =>
      app.inject({ method: 'POST', url: '/graphql', payload: { query: text, variables: { n } } });
    const small = await send(5);
    assert.equal(small.statusCode, 200);
    assert.deepEqual(small.json(), { data: { search: [{ id: 1, score: 5 }] } });
    // The same text (cached by mercurius after the first request) with a larger limit.
    const large = await send(500);
    assert.equal(large.statusCode, 400);
    const [error] = large.json<{ errors: { message: string; extensions: { code: string } }[] }>().errors;
    assert.equal(error?.extensions.code, 'INVALID_ARGUMENT');
    assert.match(error.message, /cost is 1001, above the limit of 400/);
  });
});
