// Model serving's public surface (ARCHITECTURE.md §5). Everything outside src/serving imports
// from here.
export {
  datatypes,
  elementCount,
  isDatatype,
  shapeText,
  type Datatype,
  type NumericArray,
  type Tensor,
  type TensorData,
  type TensorDataOf,
  type TensorSpec,
} from './tensor.js';
export {
  MODEL_BACKEND_API_VERSION,
  type BackendCapabilities,
  type ExecuteRequest,
  type LoadRequest,
  type LoadedModel,
  type ModelBackend,
  type ModelInstance,
} from './backend.js';
export {
  defineModel,
  fetchRemote,
  remoteFetchError,
  remoteStatusError,
  remoteOipBackend,
  remoteOpenAIBackend,
  typescriptBackend,
  type HandlerContext,
  type ModelHandler,
  type RemoteRequest,
} from './backends/index.js';
export { modelConfigSchema, parseModelConfig, type BackendName, type ModelConfig } from './model-config.js';
export type {
  ChatTarget,
  InferRequest,
  InferResponse,
  ModelMetadata,
  ModelStateChange,
  OpenAIModel,
  RepositoryEntry,
  ServingProcedures,
  VersionState,
} from './procedures.js';
export { servingConfigSchema, type ServingConfig } from './config.js';
export { ServingService, type ServingServiceOptions } from './service.js';
export { ServingModule, type ServingModuleOptions } from './serving-module.js';
export { fromHalf, overflowsHalf, toHalf } from './half.js';
export {
  decodeTensor,
  encodeData,
  encodeOutput,
  tensorValues,
  type DecodeOptions,
  type TensorRole,
} from './v2/codec.js';
export { parseRequestJson } from './v2/json.js';
export { BinaryBody, BinaryReader, headerLengthField, splitBinaryBody, tensorBinary } from './v2/binary.js';
