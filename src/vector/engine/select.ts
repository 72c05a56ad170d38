import { existsSync } from 'node:fs';
import { StrataError } from '../../kernel/index.js';
import type { Backend, BackendChoice } from '../types.js';
import type { Engine } from './engine.js';
import { createJsEngine } from './js-engine.js';
import { wasmApi } from './wasm-api.js';
import { createWasmEngine, wasmPath } from './wasm-engine.js';

// wasm-feature-detect's SIMD probe: one function `i32.const 0; i8x16.splat; i8x16.popcnt`. A runtime
// without (final) SIMD rejects it in WebAssembly.validate, before anything is instantiated.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98,
  11,
]);

let simd: boolean | undefined;

/** Whether this runtime runs WebAssembly SIMD (false where WebAssembly itself is missing). */
export function wasmSimdSupported(): boolean {
  simd ??= wasmApi()?.validate(SIMD_PROBE) ?? false;
  return simd;
}

/**
 * The backend `auto` resolves to, and why. The fallback is chosen when the runtime lacks SIMD, or
 * when the module was not built (running from source without `npm run build`).
 */
export function resolveBackend(choice: BackendChoice): { backend: Backend; reason: string } {
  if (choice === 'js') return { backend: 'js', reason: 'requested' };
  if (!wasmSimdSupported()) {
    if (choice === 'wasm-simd')
      throw new StrataError(
        'UNAVAILABLE',
        'WebAssembly SIMD is not supported by this runtime; use backend auto or js',
      );
    return { backend: 'js', reason: 'WebAssembly SIMD is not supported by this runtime' };
  }
  if (!existsSync(wasmPath())) {
    if (choice === 'wasm-simd')
      throw new StrataError('UNAVAILABLE', `${wasmPath()} is missing: run npm run build`);
    return { backend: 'js', reason: `${wasmPath()} is missing: run npm run build` };
  }
  return { backend: 'wasm-simd', reason: choice === 'auto' ? 'SIMD available' : 'requested' };
}

export function createEngine(choice: BackendChoice): Engine {
  return resolveBackend(choice).backend === 'wasm-simd' ? createWasmEngine() : createJsEngine();
}
