import { overflowsHalf, toHalf } from '../half.js';
import type { Datatype } from '../tensor.js';

/**
 * One JSON element against one datatype. Numbers are checked against the datatype instead of
 * coerced, so that a value the model would see wrongly (300 as UINT8, 1.5 as INT32) is rejected.
 * JSON has no NaN or Infinity, so float elements may be the strings "NaN", "Infinity" and
 * "-Infinity"; INT64 and UINT64 elements may be decimal strings as well as numbers (exact
 * `bigint` for long literals, see json.ts).
 */

const nonFinite = new Map<string, number>([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
]);

const integerRanges = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
} as const;
const int64Range = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const uint64Range = [0n, 2n ** 64n - 1n] as const;
const decimalInteger = /^-?\d+$/;

/** An element as stored, or undefined when the JSON value does not fit the datatype. */
type Convert = (value: unknown) => number | bigint | string | undefined;

function smallInteger(min: number, max: number): Convert {
  return (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? value : undefined;
}

function bigInteger(min: bigint, max: bigint): Convert {
  return (value) => {
    let exact: bigint;
    if (typeof value === 'bigint') exact = value;
    else if (typeof value === 'number' && Number.isSafeInteger(value)) exact = BigInt(value);
    else if (typeof value === 'string' && decimalInteger.test(value)) exact = BigInt(value);
    else return undefined;
    return exact >= min && exact <= max ? exact : undefined;
  };
}

/** A JSON float element as a double: a number, an exact big integer, or a non-finite name. */
function asDouble(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') return nonFinite.get(value);
  return undefined;
}

export const converters: Readonly<Record<Datatype, Convert>> = {
  BOOL: (value) => {
    if (value === true || value === 1) return 1;
    if (value === false || value === 0) return 0;
    return undefined;
  },
  UINT8: smallInteger(...integerRanges.UINT8),
  UINT16: smallInteger(...integerRanges.UINT16),
  UINT32: smallInteger(...integerRanges.UINT32),
  UINT64: bigInteger(...uint64Range),
  INT8: smallInteger(...integerRanges.INT8),
  INT16: smallInteger(...integerRanges.INT16),
  INT32: smallInteger(...integerRanges.INT32),
  INT64: bigInteger(...int64Range),
  FP16: (value) => {
    const double = asDouble(value);
    return double === undefined || overflowsHalf(double) ? undefined : toHalf(double);
  },
  FP32: (value) => {
    const double = asDouble(value);
    if (double === undefined) return undefined;
    const single = Math.fround(double);
    // A finite value that rounds to infinity is out of FP32's range, not infinite.
    return Number.isFinite(double) && !Number.isFinite(single) ? undefined : single;
  },
  FP64: asDouble,
  BYTES: (value) => (typeof value === 'string' ? value : undefined),
};

/** A request value as its JSON text, for error messages. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return value.toString();
  // Values here come from parsed JSON (bigint aside), so stringify cannot fail or return undefined.
  return JSON.stringify(value);
}

/** Why `value` does not fit `datatype`, for the error message. */
export function explain(datatype: Datatype, value: unknown): string {
  const shown = show(value);
  switch (datatype) {
    case 'BYTES':
      return `expected a string, got ${shown}`;
    case 'BOOL':
      return `expected true or false, got ${shown}`;
    case 'FP16':
    case 'FP32':
    case 'FP64': {
      const double = asDouble(value);
      if (double === undefined) return `expected a number (or "NaN", "Infinity", "-Infinity"), got ${shown}`;
      const largest = datatype === 'FP16' ? '65504' : '3.4028234663852886e38';
      return `${shown} is out of range for ${datatype} (largest finite magnitude ${largest})`;
    }
    case 'INT64':
    case 'UINT64': {
      const [min, max] = datatype === 'INT64' ? int64Range : uint64Range;
      if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
        return `${shown} is beyond 2^53 and not exact as written; write it as an integer literal or a decimal string`;
      }
      if (typeof value === 'string' && !decimalInteger.test(value)) {
        return `expected an integer or a decimal integer string, got ${shown}`;
      }
      return integerReason(datatype, value, shown, `${String(min)}..${String(max)}`);
    }
    default: {
      const [min, max] = integerRanges[datatype];
      if (typeof value === 'string') return `expected an integer, got ${shown}`;
      return integerReason(datatype, value, shown, `${String(min)}..${String(max)}`);
    }
  }
}

/** For a value that is not a string the datatype refuses: wrong type, fraction, or range. */
function integerReason(datatype: Datatype, value: unknown, shown: string, range: string): string {
  if (typeof value !== 'number' && typeof value !== 'bigint' && typeof value !== 'string') {
    return `expected an integer, got ${shown}`;
  }
  if (typeof value === 'number' && !Number.isInteger(value)) return `${shown} is not an integer`;
  return `${shown} is out of range for ${datatype} (${range})`;
}
