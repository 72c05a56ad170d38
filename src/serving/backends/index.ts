export { typescriptBackend, defineModel, type HandlerContext, type ModelHandler } from './typescript.js';
