import type { CollectionChange, SearchExplain, VectorProcedures } from '../../vector/index.js';
import { guardVector } from '../procedures/guard.js';
import { operationIn, type GraphQLContext, type Operation } from './context.js';
import type { SchemaPart } from './schema-part.js';
import { subscription, type Watch } from './subscriptions.js';

/**
 * Collections over GraphQL. Filters and payloads are JSON in Qdrant's shapes, validated by the
 * same procedures as REST and gRPC (docs/decisions/0009), so all three accept and refuse alike.
 */
const searchArgs = /* GraphQL */ `
      collection: String!
      vector: [Float!]!
      limit: Int! = 10
      offset: Int
      filter: JSON
      withPayload: Boolean = true
      withVector: Boolean = false
      scoreThreshold: Float
      hnswEf: Int
      exact: Boolean
`;

const typeDefs = /* GraphQL */ `
  enum Distance {
    Cosine
    Dot
    Euclid
    Manhattan
  }

  type Collection {
    name: String!
    "Loaded in one call for every collection of a query."
    info: CollectionInfo!
  }

  type CollectionInfo {
    status: String!
    pointsCount: Int!
    indexedVectorsCount: Int!
    dimension: Int!
    distance: Distance!
    "Indexed payload fields and their types."
    payloadSchema: JSON!
    "Qdrant's quantization_config ({scalar: ...} or {binary: ...}); null for float32 vectors."
    quantizationConfig: JSON
    "Whether the full vectors live on disk behind the block cache (vectors.on_disk)."
    onDisk: Boolean!
    "The PCA reduction set by setPca; null without one (docs/decisions/0017)."
    pca: PcaConfig
    "The whole configuration, in Qdrant's shape."
    config: JSON!
  }

  type PcaConfig {
    "Dimensions the graph links: the vectors' projection on this many principal components."
    components: Int!
    "The collection's full dimension, which stored points and rescoring keep."
    dimension: Int!
    "Each search rescores limit × oversampling candidates with the full vectors."
    oversampling: Int!
    "Share of the fitted sample's variance the components keep, from 0 to 1."
    explainedVarianceRatio: Float!
  }

  type Point {
    id: PointId!
    payload: JSON
    vector: [Float!]
  }

  type ScoredPoint {
    id: PointId!
    version: Int!
    score: Float!
    payload: JSON
    vector: [Float!]
  }

  input PointInput {
    id: PointId!
    vector: [Float!]!
    payload: JSON
  }

  type ExplainedSearch {
    points: [ScoredPoint!]!
    explain: SearchExplain!
  }

  "What a search did (docs/decisions/0015)."
  type SearchExplain {
    "The collection's index (hnsw), the vectors its graph holds (float32, int8, binary), its backend."
    index: String!
    vectors: String!
    backend: String!
    "The PCA components the graph's vectors are reduced to; null without a reduction."
    reducedTo: Int
    "graph, exact_scan or none."
    search: String!
    "The walk's beam width, widened for a filter's selectivity."
    ef: Int
    "Null without a filter."
    filter: FilterExplain
    "Distances computed by the walk or the scan, counted in the engine."
    scored: Int!
    "What those distances were computed over."
    scoredVectors: String!
    "Candidates re-ranked by full-precision vectors; null when none were."
    rescore: RescoreExplain
  }

  type FilterExplain {
    "no-match, exact-scan or filtered-graph."
    path: String!
    matching: Int!
    fullScanThreshold: Int!
    "Whether the payload indexes alone found the matching points."
    payloadIndex: Boolean!
    reason: String!
  }

  type RescoreExplain {
    candidates: Int!
    oversampling: Float
  }

  type UpdateResult {
    operationId: Int!
    status: String!
  }

  type CollectionChange {
    collection: String!
    "created, updated or deleted."
    change: String!
    "For updates: the operation (upsert, delete, set_payload, ...)."
    operation: String
    operationId: Int
    pointsCount: Int!
  }

  extend type Query {
    collections: [Collection!]!
    collection(name: String!): Collection!
    "Nearest points to a vector; filter in Qdrant's filter language."
    search(${searchArgs}): [ScoredPoint!]!
    "The same search, and what it did: index, filter path and why, distances scored (REST's params.explain)."
    explainSearch(${searchArgs}): ExplainedSearch!
    points(
      collection: String!
      ids: [PointId!]!
      withPayload: Boolean = true
      withVector: Boolean = false
    ): [Point!]!
  }

  extend type Mutation {
    """
    hnswConfig and quantizationConfig in Qdrant's shapes (as REST's hnsw_config and
    quantization_config); onDisk: true keeps the full vectors on disk and needs a quantizationConfig.
    """
    createCollection(
      name: String!
      dimension: Int!
      distance: Distance!
      hnswConfig: JSON
      quantizationConfig: JSON
      onDisk: Boolean
    ): Collection!
    deleteCollection(name: String!): Boolean!
    upsertPoints(collection: String!, points: [PointInput!]!): UpdateResult!
    "Deletes the points with these ids, or those the filter selects."
    deletePoints(collection: String!, ids: [PointId!], filter: JSON): UpdateResult!
    """
    Reduces the collection's vectors by PCA fitted on a sample of its points (REST's PUT
    /collections/{name}/pca, docs/decisions/0017); searches then rescore with the full vectors.
    \`seed\` is a whole number from 0 to 4294967295, as over REST and gRPC: a Float, because
    GraphQL's Int stops at 2147483647.
    """
    setPca(collection: String!, components: Int!, sample: Int, oversampling: Int, seed: Float): Collection!
    "Drops the collection's PCA reduction; NOT_FOUND when it has none."
    removePca(collection: String!): Boolean!
  }

  extend type Subscription {
    "Changes to one collection, or to every collection you may read."
    collectionChanged(collection: String): CollectionChange!
  }
`;

interface SearchArgs {
  readonly collection: string;
  readonly vector: readonly number[];
  readonly limit: number;
  readonly offset?: number | null;
  readonly filter?: unknown;
  readonly withPayload?: boolean | null;
  readonly withVector?: boolean | null;
  readonly scoreThreshold?: number | null;
  readonly hnswEf?: number | null;
  readonly exact?: boolean | null;
}

type Json = Record<string, unknown>;

/** Fields left out (null) are absent in the Qdrant request, as a REST client would leave them. */
function defined(fields: Json): Json {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined && value !== null),
  );
}

export function searchRequest(args: SearchArgs, explain?: true): Json {
  const params = defined({ hnsw_ef: args.hnswEf, exact: args.exact, explain });
  return defined({
    vector: args.vector,
    limit: args.limit,
    offset: args.offset,
    filter: args.filter,
    with_payload: args.withPayload,
    with_vector: args.withVector,
    score_threshold: args.scoreThreshold,
    ...(Object.keys(params).length === 0 ? {} : { params }),
  });
}

/** REST's explain object in the schema's field names. */
function explainOf(explain: SearchExplain): Json {
  const { filter, scored_vectors: scoredVectors, reduced_to: reducedTo, ...same } = explain;
  return {
    ...same,
    scoredVectors,
    reducedTo,
    filter:
      filter === null
        ? null
        : {
            path: filter.path,
            matching: filter.matching,
            fullScanThreshold: filter.full_scan_threshold,
            payloadIndex: filter.payload_index,
            reason: filter.reason,
          },
  };
}

/** Qdrant's collection info as the schema's CollectionInfo. */
function collectionInfo(info: Json): Json {
  const config = info['config'] as Json;
  const vectors = (config['params'] as Json)['vectors'] as Json;
  const pca = config['pca_config'] as Json | null;
  return {
    status: info['status'],
    pointsCount: info['points_count'],
    indexedVectorsCount: info['indexed_vectors_count'],
    dimension: vectors['size'],
    distance: vectors['distance'],
    payloadSchema: info['payload_schema'],
    quantizationConfig: config['quantization_config'],
    // Absent when the collection was created without it: the vectors are then in RAM.
    onDisk: vectors['on_disk'] ?? false,
    pca:
      pca === null
        ? null
        : {
            components: pca['components'],
            dimension: pca['dimension'],
            oversampling: pca['oversampling'],
            explainedVarianceRatio: pca['explained_variance_ratio'],
          },
    config,
  };
}

function updateResult(result: { operation_id: number; status: string }): Json {
  return { operationId: result.operation_id, status: result.status };
}

export function collectionSchema(vector: VectorProcedures): SchemaPart {
  const guarded = (operation: Operation): VectorProcedures => guardVector(vector, operation.caller);
  const procedures = (context: GraphQLContext): VectorProcedures => guarded(operationIn(context));
  return {
    typeDefs,
    resolvers: {
      Query: {
        collections: (_: unknown, _args: unknown, context: GraphQLContext) =>
          procedures(context).listCollections().collections,
        collection: (_: unknown, args: { name: string }, context: GraphQLContext) => {
          procedures(context).getCollection(args.name);
          return { name: args.name };
        },
        search: (_: unknown, args: SearchArgs, context: GraphQLContext) =>
          procedures(context).search(args.collection, searchRequest(args)).result,
        explainSearch: (_: unknown, args: SearchArgs, context: GraphQLContext) => {
          const { result, explain } = procedures(context).search(args.collection, searchRequest(args, true));
          return { points: result, explain: explain === undefined ? undefined : explainOf(explain) };
        },
        points: (
          _: unknown,
          args: {
            collection: string;
            ids: unknown[];
            withPayload?: boolean | null;
            withVector?: boolean | null;
          },
          context: GraphQLContext,
        ) =>
          procedures(context).retrieve(
            args.collection,
            defined({ ids: args.ids, with_payload: args.withPayload, with_vector: args.withVector }),
          ),
      },
      Mutation: {
        createCollection: async (
          _: unknown,
          args: {
            name: string;
            dimension: number;
            distance: string;
            hnswConfig?: unknown;
            quantizationConfig?: unknown;
            onDisk?: boolean | null;
          },
          context: GraphQLContext,
        ) => {
          await procedures(context).createCollection(
            args.name,
            defined({
              vectors: defined({ size: args.dimension, distance: args.distance, on_disk: args.onDisk }),
              hnsw_config: args.hnswConfig,
              quantization_config: args.quantizationConfig,
            }),
          );
          return { name: args.name };
        },
        deleteCollection: (_: unknown, args: { name: string }, context: GraphQLContext) =>
          procedures(context).deleteCollection(args.name),
        upsertPoints: async (
          _: unknown,
          args: { collection: string; points: readonly Json[] },
          context: GraphQLContext,
        ) => {
          const points = args.points.map((point) => defined({ ...point }));
          return updateResult(await procedures(context).upsert(args.collection, { points }));
        },
        deletePoints: async (
          _: unknown,
          args: { collection: string; ids?: unknown[] | null; filter?: unknown },
          context: GraphQLContext,
        ) => {
          const selector = args.ids == null ? { filter: args.filter ?? null } : { points: args.ids };
          return updateResult(await procedures(context).deletePoints(args.collection, selector));
        },
        setPca: async (
          _: unknown,
          args: {
            collection: string;
            components: number;
            sample?: number | null;
            oversampling?: number | null;
            seed?: number | null;
          },
          context: GraphQLContext,
        ) => {
          const { collection, ...request } = args;
          await procedures(context).setPca(collection, defined(request));
          return { name: collection };
        },
        removePca: async (_: unknown, args: { collection: string }, context: GraphQLContext) => {
          await procedures(context).removePca(args.collection);
          return true;
        },
      },
      Subscription: {
        collectionChanged: subscription(
          (operation, args: { collection?: string | null }): Watch<CollectionChange> =>
            (listener) =>
              guarded(operation).watchCollections(args.collection ?? undefined, listener),
        ),
      },
    },
    loaders: {
      Collection: {
        info: async (queries: readonly { obj: { name: string } }[], context: GraphQLContext) =>
          procedures(context)
            .getCollections(queries.map((query) => query.obj.name))
            .map((info) => collectionInfo(info)),
      },
    },
  };
}
