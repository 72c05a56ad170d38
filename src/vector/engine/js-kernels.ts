// The TypeScript fallback of wasm/distance.as. It replays the SIMD summation order (four 4-lane
// accumulators over blocks of 16, then accumulator 0 over blocks of 4, the lane reduction, a scalar
// tail) with every operation rounded to f32, so both paths return bit-identical distances.
// Math.fround of an f64 sum, difference or product of two f32 values equals the f32 operation
// (f64 has more than 2 * 24 + 2 bits, so the double rounding is innocuous).
const f = Math.fround;
const acc = new Float32Array(16);

function lane(j: number): number {
  return f(f((acc[j] ?? 0) + (acc[j + 4] ?? 0)) + f((acc[j + 8] ?? 0) + (acc[j + 12] ?? 0)));
}

function reduce(): number {
  return f(f(lane(0) + lane(1)) + f(lane(2) + lane(3)));
}

/** Squared L2 distance of the n floats at float offsets a and b of x. */
export function l2sq(x: Float32Array, a: number, b: number, n: number): number {
  acc.fill(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    for (let j = 0; j < 16; j++) {
      const d = f((x[a + i + j] ?? 0) - (x[b + i + j] ?? 0));
      acc[j] = (acc[j] ?? 0) + f(d * d);
    }
  }
  for (; i + 4 <= n; i += 4) {
    for (let j = 0; j < 4; j++) {
      const d = f((x[a + i + j] ?? 0) - (x[b + i + j] ?? 0));
      acc[j] = (acc[j] ?? 0) + f(d * d);
    }
  }
  let r = reduce();
  for (; i < n; i++) {
    const d = f((x[a + i] ?? 0) - (x[b + i] ?? 0));
    r = f(r + f(d * d));
  }
  return r;
}

export function dot(x: Float32Array, a: number, b: number, n: number): number {
  acc.fill(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    for (let j = 0; j < 16; j++) acc[j] = (acc[j] ?? 0) + f((x[a + i + j] ?? 0) * (x[b + i + j] ?? 0));
  }
  for (; i + 4 <= n; i += 4) {
    for (let j = 0; j < 4; j++) acc[j] = (acc[j] ?? 0) + f((x[a + i + j] ?? 0) * (x[b + i + j] ?? 0));
  }
  let r = reduce();
  for (; i < n; i++) r = f(r + f((x[a + i] ?? 0) * (x[b + i] ?? 0)));
  return r;
}

export function l1(x: Float32Array, a: number, b: number, n: number): number {
  acc.fill(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    for (let j = 0; j < 16; j++)
      acc[j] = (acc[j] ?? 0) + Math.abs(f((x[a + i + j] ?? 0) - (x[b + i + j] ?? 0)));
  }
  for (; i + 4 <= n; i += 4) {
    for (let j = 0; j < 4; j++)
      acc[j] = (acc[j] ?? 0) + Math.abs(f((x[a + i + j] ?? 0) - (x[b + i + j] ?? 0)));
  }
  let r = reduce();
  for (; i < n; i++) r = f(r + Math.abs(f((x[a + i] ?? 0) - (x[b + i] ?? 0))));
  return r;
}
