import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../random.js';
import {
  KERNEL_HAMMING,
  KERNEL_I8_IP,
  KERNEL_I8_L1,
  KERNEL_I8_L2,
  KERNEL_IP,
  KERNEL_L1,
  KERNEL_L2,
  type Engine,
  type KernelCode,
} from './engine.js';
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

const codeKernels: [string, KernelCode, (a: Int8Array, b: Int8Array, dim: number) => number][] = [
  ['int8 squared L2', KERNEL_I8_L2, (a, b, dim) => sumOver(dim, (i) => ((a[i] ?? 0) - (b[i] ?? 0)) ** 2)],
  ['int8 -dot', KERNEL_I8_IP, (a, b, dim) => -sumOver(dim, (i) => (a[i] ?? 0) * (b[i] ?? 0))],
  ['int8 L1', KERNEL_I8_L1, (a, b, dim) => sumOver(dim, (i) => Math.abs((a[i] ?? 0) - (b[i] ?? 0)))],
  [
    'Hamming',
    KERNEL_HAMMING,
    (a, b, dim) => sumOver(dim, (i) => (((a[i >> 3] ?? 0) ^ (b[i >> 3] ?? 0)) >> (i & 7)) & 1),
  ],
];

function sumOver(n: number, term: (i: number) => number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += term(i);
  return s;
}

// Code rows as the quantizers write them: 16-byte aligned, zero-padded to a multiple of 16 bytes.
function loadCodes(engine: Engine, a: Int8Array, b: Int8Array): [number, number] {
  const at = 64;
  const bt = at + a.length;
  engine.grow(bt + b.length);
  const view = new Int8Array(engine.buffer());
  view.set(a, at);
  view.set(b, bt);
  return [at, bt];
}

describe('code kernels (int8 and binary)', () => {
  const random = mulberry32(9);
  for (const dim of [...dims, 1000, 4096]) {
    it(`agree with an integer reference and with each other bit for bit at ${dim} dimensions`, () => {
      const wasm = createWasmEngine();
      const js = createJsEngine();
      const padded = (dim + 15) & ~15;
      for (let trial = 0; trial < 20; trial++) {
        // Extreme codes on some trials: the sums must not overflow at any dimension.
        const code = (): number =>
          trial % 4 === 0 ? (random() < 0.5 ? -127 : 127) : Math.floor(random() * 255) - 127;
        const a = new Int8Array(padded);
        const b = new Int8Array(padded);
        for (let i = 0; i < dim; i++) {
          a[i] = code();
          b[i] = trial % 4 === 0 ? -(a[i] ?? 0) : code();
        }
        for (const [name, kernel, reference] of codeKernels) {
          // Binary rows hold dim bits: clear the bits past dim, as the quantizer does.
          const [x, y] = kernel === KERNEL_HAMMING ? [bitsOnly(a, dim), bitsOnly(b, dim)] : [a, b];
          const [wa, wb] = loadCodes(wasm, x, y);
          const [ja, jb] = loadCodes(js, x, y);
          const got = wasm.distance(kernel, wa, wb, dim);
          assert.ok(Object.is(got, js.distance(kernel, ja, jb, dim)), `${name} at ${dim}`);
          assert.equal(got, Math.fround(reference(x, y, dim)), `${name} at ${dim}`);
        }
      }
    });
  }
});

function bitsOnly(codes: Int8Array, dim: number): Int8Array {
  const out = new Int8Array(codes.length);
  for (let i = 0; i < dim; i++)
    if (((codes[i >> 3] ?? 0) >> (i & 7)) & 1) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
  return out;
}

// Sizes that leave tails: m not a multiple of 4 (pqScan's quads), ksub and m · ksub not multiples
// of 4 (pqTable's and pqListTable's v128 blocks).
describe('PQ table and scan kernels', () => {
  const random = mulberry32(13);
  for (const [m, ksub, dsub] of [
    [1, 7, 3],
    [3, 256, 1],
    [5, 9, 4],
    [8, 256, 2],
    [16, 256, 8],
  ] as const) {
    it(`agree bit for bit at m ${m}, ksub ${ksub}, dsub ${dsub}`, () => {
      const rows = 37;
      const target = Float32Array.from({ length: m * dsub }, () => random() * 4 - 2);
      const codebooks = Float32Array.from({ length: m * ksub * dsub }, () => random() * 4 - 2);
      const terms = Float32Array.from({ length: m * ksub }, () => random() * 8 - 4);
      const codes = Uint8Array.from({ length: rows * m }, () => Math.floor(random() * ksub));
      const run = (engine: Engine, kernel: KernelCode): Float32Array => {
        // [target | codebooks | terms | query table | list table | codes | distances], 4-aligned only.
        const at = [64];
        for (const floats of [target.length, codebooks.length, terms.length, m * ksub, m * ksub])
          at.push((at.at(-1) ?? 0) + floats * 4);
        const [t = 0, c = 0, tt = 0, qt = 0, lt = 0, code = 0] = at;
        const out = code + ((rows * m + 3) & ~3);
        engine.grow(out + rows * 4);
        const view = new Float32Array(engine.buffer());
        view.set(target, t >> 2);
        view.set(codebooks, c >> 2);
        view.set(terms, tt >> 2);
        new Uint8Array(engine.buffer()).set(codes, code);
        engine.pqTable(kernel, t, c, m, ksub, dsub, qt);
        engine.pqListTable(tt, qt, m * ksub, lt);
        engine.pqScan(code, rows, m, ksub, lt, 0.25, out);
        const tables = new Float32Array(engine.buffer(), qt, 2 * m * ksub);
        return Float32Array.from([...tables, ...new Float32Array(engine.buffer(), out, rows)]);
      };
      for (const [name, kernel] of [
        ['squared L2', KERNEL_L2],
        ['−dot', KERNEL_IP],
        ['L1', KERNEL_L1],
      ] as const) {
        const got = run(createWasmEngine(), kernel);
        assert.deepEqual(got, run(createJsEngine(), kernel), name);
        // The scan is the sum of its codes' table entries (float64 here, so within rounding).
        const table = got.subarray(m * ksub, 2 * m * ksub);
        for (let r = 0; r < rows; r++) {
          let want = 0.25;
          for (let s = 0; s < m; s++) want += table[s * ksub + (codes[r * m + s] ?? 0)] ?? 0;
          const scanned = got[2 * m * ksub + r] ?? 0;
          assert.ok(
            Math.abs(scanned - want) <= 1e-5 * Math.max(1, Math.abs(want)),
            `${name}: ${scanned} vs ${want}`,
          );
        }
      }
    });
  }
});
