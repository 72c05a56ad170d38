/**
 * IEEE 754 binary16 ("half", the protocol's FP16) from and to JavaScript numbers. The protocol's
 * JSON carries FP16 elements as ordinary numbers; Strata stores their raw half bits.
 */

const twoPow24 = 2 ** 24;
/** The smallest normal half; below it, halves are subnormal multiples of 2^-24. */
const smallestNormal = 2 ** -14;
/** Halfway between the largest half (65504) and 65536: from here on, round-to-nearest-even overflows. */
const overflowAt = 65520;

/** `value` rounded to the nearest integer, ties to even. Exact for any double. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The half bits nearest to `value`, ties to even (IEEE 754 roundTiesToEven), rounding once from
 * the double: rounding through float32 first would round twice and can land on the wrong half.
 * Magnitudes from 65520 up become ±Infinity; NaN becomes the quiet NaN 0x7e00.
 */
export function toHalf(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude >= overflowAt) return sign | 0x7c00;
  // Subnormals are multiples of 2^-24; scaling by a power of two is exact. A result of 1024 is
  // the smallest normal's bit pattern, so the carry needs no special case.
  if (magnitude < smallestNormal) return sign | roundHalfEven(magnitude * twoPow24);
  let exponent = Math.floor(Math.log2(magnitude));
  // Math.log2 may be off by one next to powers of two; settle it exactly.
  if (2 ** exponent > magnitude) exponent -= 1;
  else if (2 ** (exponent + 1) <= magnitude) exponent += 1;
  const mantissa = roundHalfEven((magnitude / 2 ** exponent - 1) * 1024);
  // A mantissa that rounds up to 1024 carries into the exponent: the bit layout adds it for us.
  return sign | (((exponent + 15) << 10) + mantissa);
}

/** The number a half's bits encode (every half is exact as a double). */
export function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return (sign * mantissa) / twoPow24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Whether a finite `value` overflows FP16, i.e. rounds to ±Infinity. */
export function overflowsHalf(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value) >= overflowAt;
}
