import { loadProto } from './proto-files.js';
import type {
  handleClientStreamingCall,
  handleUnaryCall,
  ServerReadableStream,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { StrataError, toStrataError } from '../../kernel/index.js';
import type { SecurityModule } from '../../security/index.js';
import type { VectorProcedures } from '../../vector/index.js';
import { toGrpcError } from '../errors/grpc.js';
import { guardVector } from '../procedures/guard.js';
import { callerOf, withinDeadline } from './call-context.js';
import type { GrpcEdge } from './grpc-server.js';
import {
  createCollectionJson,
  deleteJson,
  setPcaJson,
  vectorProtoPath,
  pointMessage,
  retrieveJson,
  scrollJson,
  searchMessage,
  searchJson,
  upsertJson,
  pointIdMessage,
  type CreateCollectionMessage,
  type DeleteMessage,
  type SetPcaMessage,
  type RetrieveMessage,
  type ScrollMessage,
  type SearchMessage,
  type UpsertMessage,
} from './vector-messages.js';

/**
 * `strata.vector.v1.VectorService` over the vector procedures, as REST's Qdrant routes are: each
 * RPC authenticates from the call's metadata, takes the guarded procedures of that caller (roles,
 * tenant, quotas, audit; procedures/guard.ts), and only translates messages to the Qdrant-shaped
 * JSON the procedures validate. Errors become gRPC statuses through the one map in errors/grpc.ts.
 */

export const vectorServiceName = 'strata.vector.v1.VectorService';
const servicePath = `/${vectorServiceName}`;

interface Named {
  readonly collection_name: string;
}

/** Every RPC with a message in and one out, by its name in the .proto. */
type Unary = (vectors: VectorProcedures, request: never) => unknown;

const unaryRpcs: Readonly<Record<string, Unary>> = {
  ListCollections: (vectors) => ({
    names: vectors.listCollections().collections.map((c) => c.name),
  }),
  CreateCollection: async (vectors, request: CreateCollectionMessage) => {
    await vectors.createCollection(request.collection_name, createCollectionJson(request));
    return {};
  },
  GetCollection: (vectors, request: Named) => ({
    info_json: JSON.stringify(vectors.getCollection(request.collection_name)),
  }),
  DeleteCollection: async (vectors, request: Named) => ({
    deleted: await vectors.deleteCollection(request.collection_name),
  }),
  Upsert: async (vectors, request: UpsertMessage) =>
    updateMessage(await vectors.upsert(request.collection_name, upsertJson(request))),
  Search: (vectors, request: SearchMessage) => {
    const { result, explain } = vectors.search(request.collection_name, searchJson(request));
    return searchMessage(result, explain);
  },
  SearchBatch: (vectors, request: Named & { searches: readonly SearchMessage[] }) => {
    const searches = request.searches.map(searchJson);
    const { result, explain } = vectors.searchBatch(request.collection_name, { searches });
    return { results: result.map((points, i) => searchMessage(points, explain?.[i] ?? undefined)) };
  },
  Retrieve: (vectors, request: RetrieveMessage) => ({
    points: vectors.retrieve(request.collection_name, retrieveJson(request)).map(pointMessage),
  }),
  Delete: async (vectors, request: DeleteMessage) =>
    updateMessage(await vectors.deletePoints(request.collection_name, deleteJson(request))),
  Scroll: (vectors, request: ScrollMessage) => {
    const page = vectors.scroll(request.collection_name, scrollJson(request));
    return {
      points: page.points.map(pointMessage),
      next_page_offset: page.next_page_offset === null ? null : pointIdMessage(page.next_page_offset),
    };
  },
  SetPca: async (vectors, request: SetPcaMessage) =>
    updateMessage(await vectors.setPca(request.collection_name, setPcaJson(request))),
  RemovePca: async (vectors, request: Named) =>
    updateMessage(await vectors.removePca(request.collection_name)),
};

function updateMessage(result: { operation_id: number; status: string }): unknown {
  return { operation_id: String(result.operation_id), status: result.status };
}

/** Adds the service to the gRPC listener, to reflection and to `grpc.health.v1`. */
export function registerVectorService(edge: GrpcEdge, vectors: VectorProcedures): void {
  const definition = loadProto(vectorProtoPath);
  const service = definition[vectorServiceName] as ServiceDefinition;
  const implementation: UntypedServiceImplementation = {};
  for (const [name, rpc] of Object.entries(unaryRpcs)) {
    implementation[name] = unaryHandler(edge.security, vectors, `${servicePath}/${name}`, rpc);
  }
  implementation['UpsertStream'] = upsertStreamHandler(edge.security, vectors);
  edge.server.addService(service, implementation);
  edge.addReflectedPackage(definition);
  edge.addHealthService(vectorServiceName);
}

function unaryHandler(
  security: SecurityModule | undefined,
  vectors: VectorProcedures,
  path: string,
  rpc: Unary,
): handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    withinDeadline(call.getDeadline(), async () => {
      const caller = await callerOf(security, call, path, 'vectors');
      // grpc-js decoded the request with the method's message type, which the table's entry names.
      return rpc(guardVector(vectors, caller), call.request as never);
    }).then(
      (response) => {
        callback(null, response);
      },
      (error: unknown) => {
        callback(toGrpcError(toStrataError(error)));
      },
    );
  };
}

/**
 * UpsertStream: the caller is authenticated once, when the stream opens; each batch is then
 * upserted in arrival order, one after the other, as a unary Upsert would be. The first failing
 * batch ends the call with its error, its index in the message; the batches before it stay
 * applied (each upsert is durable on its own) and later ones are not read.
 */
function upsertStreamHandler(
  security: SecurityModule | undefined,
  vectors: VectorProcedures,
): handleClientStreamingCall<UpsertMessage, unknown> {
  const path = `${servicePath}/UpsertStream`;
  return (call: ServerReadableStream<UpsertMessage, unknown>, callback) => {
    withinDeadline(call.getDeadline(), async () => {
      const guarded = guardVector(vectors, await callerOf(security, call, path, 'vectors'));
      let batches = 0;
      let points = 0;
      let lastOperationId = 0;
      for await (const message of call as AsyncIterable<UpsertMessage>) {
        try {
          const result = await guarded.upsert(message.collection_name, upsertJson(message));
          lastOperationId = result.operation_id;
        } catch (error) {
          throw inBatch(toStrataError(error), batches);
        }
        batches += 1;
        points += message.points.length;
      }
      return { batches, points: String(points), last_operation_id: String(lastOperationId) };
    }).then(
      (response) => {
        callback(null, response);
      },
      (error: unknown) => {
        callback(toGrpcError(toStrataError(error)));
      },
    );
  };
}

/** The same error, its message naming the batch (client errors only; system errors stay as they are). */
function inBatch(error: StrataError, index: number): StrataError {
  if (error.code === 'INTERNAL') return error;
  return new StrataError(error.code, `batch ${index}: ${error.message}; the batches before it are applied`, {
    cause: error,
    ...(error.details === undefined ? {} : { details: error.details }),
  });
}
