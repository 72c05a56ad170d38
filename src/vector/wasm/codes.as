// AssemblyScript. Distance kernels over quantized rows (src/vector/quantization/): int8 codes, one
// byte per dimension, and binary codes, one bit per dimension. Rows are zero-padded to 16 bytes, and
// zero padding adds nothing to any of these sums, so the kernels run whole v128 blocks and need no
// scalar tail.
//
// Every sum is an exact integer: per i32 lane at most 4 terms of 254^2 per block, which stays below
// 2^31 up to 2^16 dimensions; the lanes are added in f64 (exact) and rounded to f32 once. The
// TypeScript fallback (js-codes.ts) sums the same integers in any order and rounds the same way, so
// both paths return bit-identical distances. The units are the codes' own; the quantizer scales
// them back (quantization/scalar.ts).

// @ts-ignore: decorator
@inline
function lanes(acc: v128): f32 {
  return <f32>(
    <f64>i32x4.extract_lane(acc, 0) +
    <f64>i32x4.extract_lane(acc, 1) +
    <f64>i32x4.extract_lane(acc, 2) +
    <f64>i32x4.extract_lane(acc, 3)
  );
}

// Squared L2 between int8 rows: widen to i16, subtract, and let i32x4.dot_i16x8_s square and add
// pairs of differences (the difference of two int8 values fits in i16).
// @ts-ignore: decorator
@inline
export function l2sqI8(a: usize, b: usize, n: i32): f32 {
  let acc = i32x4.splat(0);
  for (let o: usize = 0; o < <usize>n; o += 16) {
    const x = v128.load(a + o);
    const y = v128.load(b + o);
    const lo = i16x8.sub(i16x8.extend_low_i8x16_s(x), i16x8.extend_low_i8x16_s(y));
    const hi = i16x8.sub(i16x8.extend_high_i8x16_s(x), i16x8.extend_high_i8x16_s(y));
    acc = i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(lo, lo), i32x4.dot_i16x8_s(hi, hi)));
  }
  return lanes(acc);
}

// The negated dot product of int8 rows, so that smaller is closer.
// @ts-ignore: decorator
@inline
export function negDotI8(a: usize, b: usize, n: i32): f32 {
  let acc = i32x4.splat(0);
  for (let o: usize = 0; o < <usize>n; o += 16) {
    const x = v128.load(a + o);
    const y = v128.load(b + o);
    const lo = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(x), i16x8.extend_low_i8x16_s(y));
    const hi = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(x), i16x8.extend_high_i8x16_s(y));
    acc = i32x4.add(acc, i32x4.add(lo, hi));
  }
  return -lanes(acc);
}

// L1 between int8 rows: |difference| in i16, pairs added into i32 lanes.
// @ts-ignore: decorator
@inline
export function l1I8(a: usize, b: usize, n: i32): f32 {
  let acc = i32x4.splat(0);
  for (let o: usize = 0; o < <usize>n; o += 16) {
    const x = v128.load(a + o);
    const y = v128.load(b + o);
    const lo = i16x8.abs(i16x8.sub(i16x8.extend_low_i8x16_s(x), i16x8.extend_low_i8x16_s(y)));
    const hi = i16x8.abs(i16x8.sub(i16x8.extend_high_i8x16_s(x), i16x8.extend_high_i8x16_s(y)));
    acc = i32x4.add(acc, i32x4.add(i32x4.extadd_pairwise_i16x8_s(lo), i32x4.extadd_pairwise_i16x8_s(hi)));
  }
  return lanes(acc);
}

// Hamming distance between binary rows of n bits: two i64.popcnt per 16-byte block. i8x16.popcnt
// would need a horizontal byte sum after it, which costs more than the second popcnt.
// @ts-ignore: decorator
@inline
export function hamming(a: usize, b: usize, n: i32): f32 {
  let count: i64 = 0;
  const bytes = <usize>((n + 127) >> 7) << 4;
  for (let o: usize = 0; o < bytes; o += 16) {
    count += popcnt<i64>(load<i64>(a + o) ^ load<i64>(b + o));
    count += popcnt<i64>(load<i64>(a + o, 8) ^ load<i64>(b + o, 8));
  }
  return <f32>count;
}
