// The model backends that ship with Strata; the serving core picks one by the config's `backend`.
export { onnxBackend } from './onnx.js';
