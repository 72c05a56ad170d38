import { loadProto } from './proto-files.js';
import type {
  handleBidiStreamingCall,
  handleUnaryCall,
  Metadata,
  ServerDuplexStream,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { toStrataError, StrataError } from '../../kernel/index.js';
import type { SecurityModule } from '../../security/index.js';
import type { ModelMetadata, RepositoryEntry, ServingProcedures } from '../../serving/index.js';
import { toGrpcError } from '../errors/grpc.js';
import { guardServing } from '../procedures/guard.js';
import { callerOf, headersOf, withinDeadline } from './call-context.js';
import type { GrpcEdge } from './grpc-server.js';
import {
  inferenceProtoPath,
  type ModelInferRequestMessage,
  type ModelInferResponseMessage,
  type ModelRequestMessage,
  type ModelStreamInferResponseMessage,
  type RepositoryModelRequestMessage,
} from './inference-messages.js';
import { decodeModelInferRequest, encodeModelInferResponse, parseVersion } from './inference-tensors.js';

/**
 * `inference.GRPCInferenceService`, the Open Inference Protocol over gRPC with Triton's
 * additions, over the serving procedures: each RPC authenticates from the call's metadata, takes
 * the guarded procedures of that caller (procedures/guard.ts), and only translates messages.
 * Errors become gRPC statuses through the one map in errors/grpc.ts.
 */

const servicePath = '/inference.GRPCInferenceService';

export interface InferenceServiceOptions {
  /** The server version ServerMetadata reports. */
  readonly version: string;
}

/** Extensions that this server implements (ServerMetadata `extensions`), as on REST. */
const extensions = ['model_repository', 'binary_tensor_data'];

/**
 * RPCs anyone may call, like their REST twins /v2/health/live and /v2/health/ready: probes send
 * no credentials. Every other RPC needs them when authentication is on.
 */
const publicRpcs: ReadonlySet<string> = new Set(['ServerLive', 'ServerReady']);

/** Every RPC with a message in and one out, by its name in the .proto. */
type Unary = (serving: ServingProcedures, request: never, metadata: Metadata) => unknown;

function unaryRpcs(version: string): Readonly<Record<string, Unary>> {
  return {
    ServerLive: () => ({ live: true }),
    ServerReady: (serving) => ({ ready: serving.serverReady() }),
    ServerMetadata: () => ({ name: 'strata', version, extensions }),
    ModelReady: (serving, request: ModelRequestMessage) => ({
      ready: serving.modelReady(request.name, parseVersion(request.version)),
    }),
    ModelMetadata: (serving, request: ModelRequestMessage) =>
      metadataMessage(serving.modelMetadata(request.name, parseVersion(request.version))),
    ModelInfer: (serving, request: ModelInferRequestMessage, metadata) => infer(serving, request, metadata),
    RepositoryIndex: async (serving, request: { ready: boolean }) => ({
      models: (await serving.repositoryIndex(request.ready ? { ready: true } : {})).map(indexMessage),
    }),
    RepositoryModelLoad: async (serving, request: RepositoryModelRequestMessage) => {
      checkLoadParameters(request);
      await serving.load(request.model_name);
      return {};
    },
    RepositoryModelUnload: async (serving, request: RepositoryModelRequestMessage) => {
      await serving.unload(request.model_name);
      return {};
    },
  };
}

async function infer(
  serving: ServingProcedures,
  message: ModelInferRequestMessage,
  metadata: Metadata,
): Promise<ModelInferResponseMessage> {
  const { request, rawOutput } = decodeModelInferRequest(message, headersOf(metadata));
  return encodeModelInferResponse(await serving.infer(request), rawOutput);
}

function metadataMessage(metadata: ModelMetadata): unknown {
  return { ...metadata, versions: metadata.versions.map(String) };
}

function indexMessage(entry: RepositoryEntry): unknown {
  return {
    name: entry.name,
    version: entry.version === undefined ? '' : String(entry.version),
    state: entry.state,
    reason: entry.reason,
  };
}

/** Triton's load may carry a replacement config or files; Strata loads only what its repository holds. */
function checkLoadParameters(request: RepositoryModelRequestMessage): void {
  for (const key of Object.keys(request.parameters)) {
    if (key === 'config' || key.startsWith('file:')) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `load parameter '${key}' is not supported; change the model in the model repository, then load it`,
      );
    }
  }
}

/** Adds the service to the gRPC listener, to reflection and to `grpc.health.v1`. */
export function registerInferenceService(
  edge: GrpcEdge,
  serving: ServingProcedures,
  options: InferenceServiceOptions,
): void {
  const definition = loadProto(inferenceProtoPath);
  const service = definition['inference.GRPCInferenceService'] as ServiceDefinition;
  const implementation: UntypedServiceImplementation = {};
  for (const [name, rpc] of Object.entries(unaryRpcs(options.version))) {
    const security = publicRpcs.has(name) ? undefined : edge.security;
    implementation[name] = unaryHandler(security, serving, `${servicePath}/${name}`, rpc);
  }
  implementation['ModelStreamInfer'] = streamHandler(edge.security, serving);
  edge.server.addService(service, implementation);
  edge.addReflectedPackage(definition);
  edge.addHealthService(servicePath.slice(1));
}

function unaryHandler(
  security: SecurityModule | undefined,
  serving: ServingProcedures,
  path: string,
  rpc: Unary,
): handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    withinDeadline(call.getDeadline(), async () => {
      const caller = await callerOf(security, call, path, 'inference');
      // grpc-js decoded the request with the method's message type, which the table's entry names.
      return rpc(guardServing(serving, caller), call.request as never, call.metadata);
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
 * ModelStreamInfer: the caller is authenticated once, when the stream opens; each request is then
 * admitted by the rate limits like a unary call and answered as soon as it completes, so answers
 * may come out of order (clients match them by `id`). A failed request is answered with its
 * `error_message` and the stream stays open; the stream ends once the client has finished
 * sending and every answer is written.
 */
function streamHandler(
  security: SecurityModule | undefined,
  serving: ServingProcedures,
): handleBidiStreamingCall<ModelInferRequestMessage, ModelStreamInferResponseMessage> {
  const path = `${servicePath}/ModelStreamInfer`;
  return (call: ServerDuplexStream<ModelInferRequestMessage, ModelStreamInferResponseMessage>) => {
    const opened = callerOf(security, call, path, 'inference');
    const pending = new Set<Promise<void>>();
    let admitted = 0;
    opened.catch((error: unknown) => {
      call.emit('error', toGrpcError(toStrataError(error)));
    });
    call.on('data', (message: ModelInferRequestMessage) => {
      const answered = withinDeadline(call.getDeadline(), async () => {
        const caller = await opened;
        // The stream's first request was admitted with it; later ones count as requests too.
        if (caller !== undefined && admitted++ > 0) await security?.admit(caller.identity);
        return infer(guardServing(serving, caller), message, call.metadata);
      }).then(
        (response): ModelStreamInferResponseMessage => ({ error_message: '', infer_response: response }),
        (error: unknown): ModelStreamInferResponseMessage => ({
          error_message: streamErrorMessage(error),
          infer_response: null,
        }),
      );
      const written = answered.then((response) => {
        if (!call.cancelled && call.writable) call.write(response);
      });
      pending.add(written);
      void written.finally(() => pending.delete(written));
    });
    call.on('end', () => {
      void Promise.all(pending).then(() => {
        if (!call.cancelled && call.writable) call.end();
      });
    });
  };
}

/** A stream answer's error: the status's message, prefixed with the stable code. */
function streamErrorMessage(error: unknown): string {
  const failure = toStrataError(error);
  const details = toGrpcError(failure).details ?? failure.message;
  return `${failure.code}: ${details}`;
}
