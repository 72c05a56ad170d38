import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { VectorProcedures } from '../../../vector/index.js';
import { guardVector } from '../../procedures/guard.js';
import { installQdrantErrors, ok, okBeside } from './envelope.js';
import { registerSnapshotRoutes, type SnapshotRouteOptions } from './snapshots.js';

/** What a handler gets from the request: the path parameters Qdrant uses, and the body. */
interface Call {
  /** The vector procedures as this request's caller may use them (procedures/guard.ts). */
  readonly vectors: VectorProcedures;
  readonly name: string;
  readonly id: string;
  readonly field: string;
  readonly body: unknown;
}

type QdrantRoute = {
  readonly method: HTTPMethods;
  readonly url: string;
  readonly summary: string;
} & (
  | { readonly handle: (call: Call) => unknown }
  /** The procedure answers `{result, ...}`; its other fields go beside `result` (search's `explain`). */
  | { readonly respond: (call: Call) => { readonly result: unknown } }
);

const collection = '/collections/:collection_name';
const points = `${collection}/points`;

/** Qdrant's REST routes, each mapped to one procedure. */
function qdrantRoutes(): readonly QdrantRoute[] {
  return [
    {
      method: 'GET',
      url: '/collections',
      summary: 'List collections',
      handle: (c) => c.vectors.listCollections(),
    },
    {
      method: 'GET',
      url: collection,
      summary: 'Collection info',
      handle: (c) => c.vectors.getCollection(c.name),
    },
    {
      method: 'GET',
      url: `${collection}/exists`,
      summary: 'Whether a collection exists',
      handle: (c) => c.vectors.collectionExists(c.name),
    },
    {
      method: 'PUT',
      url: collection,
      summary: 'Create a collection',
      handle: (c) => c.vectors.createCollection(c.name, c.body),
    },
    {
      method: 'PATCH',
      url: collection,
      summary: 'Update collection parameters',
      handle: (c) => c.vectors.updateCollection(c.name, c.body),
    },
    {
      method: 'DELETE',
      url: collection,
      summary: 'Delete a collection',
      handle: (c) => c.vectors.deleteCollection(c.name),
    },
    { method: 'PUT', url: points, summary: 'Upsert points', handle: (c) => c.vectors.upsert(c.name, c.body) },
    {
      method: 'POST',
      url: points,
      summary: 'Retrieve points by id',
      handle: (c) => c.vectors.retrieve(c.name, c.body),
    },
    {
      method: 'GET',
      url: `${points}/:id`,
      summary: 'Retrieve one point',
      handle: (c) => c.vectors.getPoint(c.name, c.id),
    },
    {
      method: 'POST',
      url: `${points}/delete`,
      summary: 'Delete points by id or filter',
      handle: (c) => c.vectors.deletePoints(c.name, c.body),
    },
    {
      method: 'POST',
      url: `${points}/payload`,
      summary: 'Set payload keys',
      handle: (c) => c.vectors.setPayload(c.name, c.body),
    },
    {
      method: 'PUT',
      url: `${points}/payload`,
      summary: 'Overwrite payload',
      handle: (c) => c.vectors.overwritePayload(c.name, c.body),
    },
    {
      method: 'POST',
      url: `${points}/payload/delete`,
      summary: 'Delete payload keys',
      handle: (c) => c.vectors.deletePayload(c.name, c.body),
    },
    {
      method: 'POST',
      url: `${points}/payload/clear`,
      summary: 'Clear payload',
      handle: (c) => c.vectors.clearPayload(c.name, c.body),
    },
    {
      method: 'POST',
      url: `${points}/scroll`,
      summary: 'Scroll points in id order',
      handle: (c) => c.vectors.scroll(c.name, c.body),
    },
    {
      method: 'POST',
      url: `${points}/count`,
      summary: 'Count points',
      handle: (c) => c.vectors.count(c.name, c.body),
    },
    {
      method: 'POST',
      url: `${points}/search`,
      summary: 'Search nearest points',
      respond: (c) => c.vectors.search(c.name, c.body),
    },
    {
      method: 'POST',
      url: `${points}/search/batch`,
      summary: 'Batch search',
      respond: (c) => c.vectors.searchBatch(c.name, c.body),
    },
    {
      method: 'POST',
      url: `${points}/query`,
      summary: 'Query nearest points',
      handle: (c) => c.vectors.query(c.name, c.body),
    },
    {
      method: 'POST',
      url: `${points}/query/batch`,
      summary: 'Batch query',
      handle: (c) => c.vectors.queryBatch(c.name, c.body),
    },
    {
      // Strata's own route, not Qdrant's (Qdrant has no clustering API): k-means over the points.
      method: 'POST',
      url: `${collection}/clusters`,
      summary: "Cluster points by k-means (Strata extension): centroids and each point's cluster",
      handle: (c) => c.vectors.cluster(c.name, c.body),
    },
    {
      // Strata's own: PCA fitted on a sample of the points, stored with the collection (decision 0017).
      method: 'PUT',
      url: `${collection}/pca`,
      summary:
        'Reduce the vectors by PCA (Strata extension): the graph searches the reduced vectors, rescored exactly',
      handle: (c) => c.vectors.setPca(c.name, c.body),
    },
    {
      method: 'DELETE',
      url: `${collection}/pca`,
      summary: 'Remove the PCA reduction (Strata extension): the graph searches the full vectors again',
      handle: (c) => c.vectors.removePca(c.name),
    },
    {
      method: 'PUT',
      url: `${collection}/index`,
      summary: 'Create a payload index',
      handle: (c) => c.vectors.createPayloadIndex(c.name, c.body),
    },
    {
      method: 'DELETE',
      url: `${collection}/index/:field_name`,
      summary: 'Delete a payload index',
      handle: (c) => c.vectors.deletePayloadIndex(c.name, c.field),
    },
  ];
}

/**
 * The Qdrant REST API over the vector procedures: same paths, bodies, status codes and envelope,
 * so Qdrant's clients work unchanged. Each route only translates; validation lives in the
 * procedures so that every transport rejects the same input the same way.
 */
/**
 * The Qdrant REST API version whose routes and shapes these follow (checked with
 * @qdrant/js-client-rest of the same version). Qdrant's clients read it from `GET /` and warn when
 * their major version differs or their minor version is more than one apart.
 */
export const qdrantApiVersion = '1.19.0';

export async function registerQdrantRoutes(
  app: FastifyInstance,
  vectors: VectorProcedures,
  options: SnapshotRouteOptions,
): Promise<void> {
  await app.register(async (scope) => {
    installQdrantErrors(scope);
    scope.get(
      '/',
      { schema: { summary: 'Server title and Qdrant API version', tags: ['vectors (Qdrant-compatible)'] } },
      () => ({
        title: 'strata (Qdrant-compatible vector API)',
        version: qdrantApiVersion,
      }),
    );
    for (const route of qdrantRoutes()) {
      scope.route<{ Params: { collection_name?: string; id?: string; field_name?: string } }>({
        method: route.method,
        url: route.url,
        schema: { summary: route.summary, tags: ['vectors (Qdrant-compatible)'] },
        handler: async (request, reply) => {
          const { collection_name = '', id = '', field_name = '' } = request.params;
          const call: Call = {
            vectors: guardVector(vectors, request.caller),
            name: collection_name,
            id,
            field: field_name,
            body: request.body,
          };
          return 'respond' in route
            ? okBeside(reply, route.respond(call))
            : ok(reply, await route.handle(call));
        },
      });
    }
    await registerSnapshotRoutes(scope, vectors, options);
  });
}
