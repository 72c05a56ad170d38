export { serverConfigSchema, type ServerConfig } from './config.js';
export { grpcStatusByCode, toGrpcError } from './errors/grpc.js';
export {
  httpStatusByCode,
  problemContentType,
  retryAfterSeconds,
  toProblem,
  type ProblemDetails,
} from './errors/http.js';
export { renderErrorReference } from './errors/reference.js';
export type { ModuleReadiness, ReadinessProbe } from './rest/operations.js';
export { EdgeServer, type DrainResult, type EdgeServerOptions } from './server.js';
export { registerQdrantRoutes } from './rest/qdrant/routes.js';
export { registerInferenceRoutes, type InferenceRoutesOptions } from './rest/inference/routes.js';
export { registerOpenAIRoutes } from './rest/openai/routes.js';
export { registerInferenceService, type InferenceServiceOptions } from './grpc/inference-service.js';
export { registerVectorService, vectorServiceName } from './grpc/vector-service.js';
export { vectorProtoPath } from './grpc/vector-messages.js';
export { inferenceProtoPath } from './grpc/inference-messages.js';
export { protoLoadOptions } from './grpc/proto-files.js';
export { collectionSchema } from './graphql/collections.js';
export { modelSchema } from './graphql/models.js';
