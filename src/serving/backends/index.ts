export { typescriptBackend, defineModel, type HandlerContext, type ModelHandler } from './typescript.js';
export { remoteOipBackend } from './remote-oip.js';
export { remoteOpenAIBackend } from './remote-openai.js';
export { fetchRemote, remoteFetchError, type RemoteRequest } from './remote-http.js';
