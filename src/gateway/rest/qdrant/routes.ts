import type { FastifyInstance } from 'fastify';
import type { VectorProcedures } from '../../../vector/index.js';
import { installQdrantErrors, ok } from './envelope.js';

interface Collection {
  Params: { collection_name: string };
}
interface Point {
  Params: { collection_name: string; id: string };
}
interface Field {
  Params: { collection_name: string; field_name: string };
}

const tags = ['vectors (Qdrant-compatible)'];
const collectionParams = {
  type: 'object',
  properties: { collection_name: { type: 'string' } },
  required: ['collection_name'],
} as const;

/**
 * The Qdrant REST API over the vector procedures: same paths, bodies, status codes and envelope,
 * so Qdrant's clients work unchanged. Each handler only translates; validation lives in the
 * procedures so that every transport rejects the same input the same way.
 */
export async function registerQdrantRoutes(app: FastifyInstance, vectors: VectorProcedures): Promise<void> {
  await app.register(async (scope) => {
    installQdrantErrors(scope);
    const schema = (summary: string) => ({ summary, tags, params: collectionParams });

    scope.get('/collections', { schema: { summary: 'List collections', tags } }, async (_request, reply) =>
      ok(reply, vectors.listCollections()),
    );
    scope.get<Collection>(
      '/collections/:collection_name',
      { schema: schema('Collection info') },
      async (request, reply) => ok(reply, vectors.getCollection(request.params.collection_name)),
    );
    scope.get<Collection>(
      '/collections/:collection_name/exists',
      { schema: schema('Whether a collection exists') },
      async (request, reply) => ok(reply, vectors.collectionExists(request.params.collection_name)),
    );
    scope.put<Collection>(
      '/collections/:collection_name',
      { schema: schema('Create a collection') },
      async (request, reply) =>
        ok(reply, await vectors.createCollection(request.params.collection_name, request.body)),
    );
    scope.patch<Collection>(
      '/collections/:collection_name',
      { schema: schema('Update collection parameters') },
      async (request, reply) =>
        ok(reply, await vectors.updateCollection(request.params.collection_name, request.body)),
    );
    scope.delete<Collection>(
      '/collections/:collection_name',
      { schema: schema('Delete a collection') },
      async (request, reply) => ok(reply, await vectors.deleteCollection(request.params.collection_name)),
    );

    const points = (path: string) => `/collections/:collection_name/points${path}`;
    scope.put<Collection>(points(''), { schema: schema('Upsert points') }, async (request, reply) =>
      ok(reply, await vectors.upsert(request.params.collection_name, request.body)),
    );
    scope.post<Collection>(points(''), { schema: schema('Retrieve points by id') }, async (request, reply) =>
      ok(reply, vectors.retrieve(request.params.collection_name, request.body)),
    );
    scope.get<Point>(
      points('/:id'),
      { schema: { summary: 'Retrieve one point', tags } },
      async (request, reply) =>
        ok(reply, vectors.getPoint(request.params.collection_name, request.params.id)),
    );
    scope.post<Collection>(
      points('/delete'),
      { schema: schema('Delete points by id or filter') },
      async (request, reply) =>
        ok(reply, await vectors.deletePoints(request.params.collection_name, request.body)),
    );
    scope.post<Collection>(
      points('/payload'),
      { schema: schema('Set payload keys') },
      async (request, reply) =>
        ok(reply, await vectors.setPayload(request.params.collection_name, request.body)),
    );
    scope.put<Collection>(
      points('/payload'),
      { schema: schema('Overwrite payload') },
      async (request, reply) =>
        ok(reply, await vectors.overwritePayload(request.params.collection_name, request.body)),
    );
    scope.post<Collection>(
      points('/payload/delete'),
      { schema: schema('Delete payload keys') },
      async (request, reply) =>
        ok(reply, await vectors.deletePayload(request.params.collection_name, request.body)),
    );
    scope.post<Collection>(
      points('/payload/clear'),
      { schema: schema('Clear payload') },
      async (request, reply) =>
        ok(reply, await vectors.clearPayload(request.params.collection_name, request.body)),
    );
    scope.post<Collection>(
      points('/scroll'),
      { schema: schema('Scroll points in id order') },
      async (request, reply) => ok(reply, vectors.scroll(request.params.collection_name, request.body)),
    );
    scope.post<Collection>(points('/count'), { schema: schema('Count points') }, async (request, reply) =>
      ok(reply, vectors.count(request.params.collection_name, request.body)),
    );
    scope.post<Collection>(
      points('/search'),
      { schema: schema('Search nearest points') },
      async (request, reply) => ok(reply, vectors.search(request.params.collection_name, request.body)),
    );
    scope.post<Collection>(
      points('/search/batch'),
      { schema: schema('Batch search') },
      async (request, reply) => ok(reply, vectors.searchBatch(request.params.collection_name, request.body)),
    );
    scope.post<Collection>(
      points('/query'),
      { schema: schema('Query nearest points') },
      async (request, reply) => ok(reply, vectors.query(request.params.collection_name, request.body)),
    );
    scope.post<Collection>(
      points('/query/batch'),
      { schema: schema('Batch query') },
      async (request, reply) => ok(reply, vectors.queryBatch(request.params.collection_name, request.body)),
    );
    scope.put<Collection>(
      '/collections/:collection_name/index',
      { schema: schema('Create a payload index') },
      async (request, reply) =>
        ok(reply, await vectors.createPayloadIndex(request.params.collection_name, request.body)),
    );
    scope.delete<Field>(
      '/collections/:collection_name/index/:field_name',
      { schema: { summary: 'Delete a payload index', tags } },
      async (request, reply) =>
        ok(
          reply,
          await vectors.deletePayloadIndex(request.params.collection_name, request.params.field_name),
        ),
    );
  });
}
