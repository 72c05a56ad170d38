/**
 * The slice of the WebAssembly JS API this engine uses. The project compiles without the DOM lib
 * and @types/node does not declare WebAssembly, so it is typed here and read from globalThis,
 * where it may also be missing (jitless runtimes): then the TypeScript fallback runs.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export type WasmModule = object;

export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: object) => { readonly exports: object };
  /** A memory to import; `shared` ones are backed by a SharedArrayBuffer and need a maximum. */
  readonly Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}
