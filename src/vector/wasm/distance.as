// AssemblyScript (compiled by scripts/build-wasm.js, not by tsc). f32 distance kernels on v128 SIMD.
//
// The summation order is part of the contract: four v128 accumulators over blocks of 16 floats,
// one accumulator over the remaining blocks of 4, a fixed lane reduction, then a scalar tail.
// src/vector/engine/js-kernels.ts replays exactly this order in f32 so that the fallback returns
// bit-identical distances, and an index built on either path has the same graph.
//
// The kernels are @inline: at 100 dimensions a distance is ~40 cycles, and a call (V8's stack
// check, globals reloaded after it) cost the graph search 15-18% of its time on GloVe-100. They
// stay exported for single distances from JavaScript.
import { hamming, l1I8, l2sqI8, negDotI8 } from './codes';

export const METRIC_L2: i32 = 0;
export const METRIC_IP: i32 = 1;
export const METRIC_L1: i32 = 2;
// Kernels over quantized rows (codes.as); n is still the number of dimensions.
export const METRIC_I8_L2: i32 = 3;
export const METRIC_I8_IP: i32 = 4;
export const METRIC_I8_L1: i32 = 5;
export const METRIC_HAMMING: i32 = 6;

// @ts-ignore: decorator
@inline
function reduce(a0: v128, a1: v128, a2: v128, a3: v128): f32 {
  const s = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  return (
    f32x4.extract_lane(s, 0) +
    f32x4.extract_lane(s, 1) +
    (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3))
  );
}

// @ts-ignore: decorator
@inline
export function l2sq(a: usize, b: usize, n: i32): f32 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let i: i32 = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const d0 = f32x4.sub(v128.load(a + o), v128.load(b + o));
    const d1 = f32x4.sub(v128.load(a + o, 16), v128.load(b + o, 16));
    const d2 = f32x4.sub(v128.load(a + o, 32), v128.load(b + o, 32));
    const d3 = f32x4.sub(v128.load(a + o, 48), v128.load(b + o, 48));
    a0 = f32x4.add(a0, f32x4.mul(d0, d0));
    a1 = f32x4.add(a1, f32x4.mul(d1, d1));
    a2 = f32x4.add(a2, f32x4.mul(d2, d2));
    a3 = f32x4.add(a3, f32x4.mul(d3, d3));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const d = f32x4.sub(v128.load(a + o), v128.load(b + o));
    a0 = f32x4.add(a0, f32x4.mul(d, d));
  }
  let r = reduce(a0, a1, a2, a3);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(a + o) - load<f32>(b + o);
    r += d * d;
  }
  return r;
}

// @ts-ignore: decorator
@inline
export function dot(a: usize, b: usize, n: i32): f32 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let i: i32 = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(a + o, 32), v128.load(b + o, 32)));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(a + o, 48), v128.load(b + o, 48)));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let r = reduce(a0, a1, a2, a3);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    r += load<f32>(a + o) * load<f32>(b + o);
  }
  return r;
}

// @ts-ignore: decorator
@inline
export function l1(a: usize, b: usize, n: i32): f32 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let i: i32 = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.abs(f32x4.sub(v128.load(a + o), v128.load(b + o))));
    a1 = f32x4.add(a1, f32x4.abs(f32x4.sub(v128.load(a + o, 16), v128.load(b + o, 16))));
    a2 = f32x4.add(a2, f32x4.abs(f32x4.sub(v128.load(a + o, 32), v128.load(b + o, 32))));
    a3 = f32x4.add(a3, f32x4.abs(f32x4.sub(v128.load(a + o, 48), v128.load(b + o, 48))));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.abs(f32x4.sub(v128.load(a + o), v128.load(b + o))));
  }
  let r = reduce(a0, a1, a2, a3);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    r += abs<f32>(load<f32>(a + o) - load<f32>(b + o));
  }
  return r;
}

// Inner-product "distance" is 1 - <a, b>, as in hnswlib's InnerProductSpace: smaller is closer,
// and on unit vectors it is the cosine distance. The float32 kernels are tested first: the graph
// search of an unquantized index pays one more predictable branch per distance, no more.
// @ts-ignore: decorator
@inline
export function distance(metric: i32, a: usize, b: usize, n: i32): f32 {
  if (metric == METRIC_L2) return l2sq(a, b, n);
  if (metric == METRIC_IP) return <f32>1 - dot(a, b, n);
  if (metric == METRIC_L1) return l1(a, b, n);
  if (metric == METRIC_I8_L2) return l2sqI8(a, b, n);
  if (metric == METRIC_I8_IP) return negDotI8(a, b, n);
  if (metric == METRIC_I8_L1) return l1I8(a, b, n);
  return hamming(a, b, n);
}
