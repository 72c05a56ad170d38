import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../random.js';
import { KERNEL_IP, KERNEL_L1, KERNEL_L2, type Engine, type KernelCode } from './engine.js';
import { createJsEngine } from './js-engine.js';
import { resolveBackend, wasmSimdSupported } from './select.js';
import { createWasmEngine } from './wasm-engine.js';

const dims = [1, 3, 4, 7, 16, 17, 100, 128, 784];
const kernels: [string, KernelCode, (a: Float32Array, b: Float32Array) => number][] = [
  ['squared L2', KERNEL_L2, (a, b) => a.reduce((s, x, i) => s + (x - (b[i] ?? 0)) ** 2, 0)],
  ['1 - dot', KERNEL_IP, (a, b) => 1 - a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0)],
  ['L1', KERNEL_L1, (a, b) => a.reduce((s, x, i) => s + Math.abs(x - (b[i] ?? 0)), 0)],
];

function load(engine: Engine, a: Float32Array, b: Float32Array): [number, number] {
  const at = 64;
  const bt = at + a.length * 4 + 4; // deliberately not 16-aligned: rows need not be
  engine.grow(bt + b.length * 4);
  const view = new Float32Array(engine.buffer());
  view.set(a, at >> 2);
  view.set(b, bt >> 2);
  return [at, bt];
}

describe('distance kernels', () => {
  it('runs WebAssembly SIMD on Node 20 and picks it automatically', () => {
    assert.equal(wasmSimdSupported(), true);
    assert.equal(resolveBackend('auto').backend, 'wasm-simd');
  });

  const random = mulberry32(7);
  for (const dim of dims) {
    it(`agree with a float64 reference and with each other bit for bit at ${dim} dimensions`, () => {
      const wasm = createWasmEngine();
      const js = createJsEngine();
      for (let trial = 0; trial < 20; trial++) {
        const a = Float32Array.from({ length: dim }, () => random() * 4 - 2);
        const b = Float32Array.from({ length: dim }, () => random() * 4 - 2);
        for (const [name, code, reference] of kernels) {
          const [wa, wb] = load(wasm, a, b);
          const [ja, jb] = load(js, a, b);
          const got = wasm.distance(code, wa, wb, dim);
          const fallback = js.distance(code, ja, jb, dim);
          assert.ok(Object.is(got, fallback), `${name} at ${dim}: wasm ${got} vs js ${fallback}`);
          const want = reference(a, b);
          const scale = code === KERNEL_IP ? dim * 4 : Math.max(Math.abs(want), 1);
          assert.ok(Math.abs(got - want) <= 1e-5 * scale, `${name} at ${dim}: ${got} vs ${want}`);
        }
      }
    });
  }
});
