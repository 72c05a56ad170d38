// The TypeScript fallback of wasm/codes.as. Each sum is an exact integer (well inside 2^53), so
// adding in a plain loop and rounding to f32 once gives the same bits as the SIMD lanes; rows are
// zero-padded to 16 bytes on both paths, and only the dimensions themselves are read here.

/** Squared L2 between the int8 rows at byte offsets a and b of x. */
export function l2sqI8(x: Int8Array, a: number, b: number, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = (x[a + i] ?? 0) - (x[b + i] ?? 0);
    sum += d * d;
  }
  return Math.fround(sum);
}

/** The negated dot product of two int8 rows. */
export function negDotI8(x: Int8Array, a: number, b: number, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (x[a + i] ?? 0) * (x[b + i] ?? 0);
  return Math.fround(-sum);
}

export function l1I8(x: Int8Array, a: number, b: number, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs((x[a + i] ?? 0) - (x[b + i] ?? 0));
  return Math.fround(sum);
}

/** Hamming distance between the binary rows of n bits at byte offsets a and b (multiples of 4). */
export function hamming(w: Int32Array, a: number, b: number, n: number): number {
  let count = 0;
  const words = ((n + 127) >> 7) * 4;
  for (let i = 0; i < words; i++) count += popcount32((w[(a >> 2) + i] ?? 0) ^ (w[(b >> 2) + i] ?? 0));
  return count;
}

function popcount32(v: number): number {
  let x = v - ((v >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
