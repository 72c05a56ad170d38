// The model backends that ship with Strata; the serving core picks one by the config's `backend`.
export { typescriptBackend, defineModel, type HandlerContext, type ModelHandler } from './typescript.js';
export { onnxBackend } from './onnx.js';
export { remoteOipBackend } from './remote-oip.js';
export { remoteOpenAIBackend } from './remote-openai.js';
export { fetchRemote, remoteFetchError, remoteStatusError, type RemoteRequest } from './remote-http.js';
