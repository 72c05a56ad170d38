import { StrataError } from '../../../kernel/index.js';
import {
  elementCount,
  isDatatype,
  shapeText,
  type Datatype,
  type Tensor,
  type TensorData,
} from '../../../serving/index.js';
import { fromHalf, overflowsHalf, toHalf } from './half.js';

/**
 * Tensors in the Open Inference Protocol's JSON form ("Tensor Data" in KServe's required_api.md):
 * row-major elements, flat or nested to the tensor's shape. Numbers are checked against their
 * datatype instead of coerced, so that a value the model would see wrongly (300 as UINT8, 1.5 as
 * INT32) is rejected with the element that carries it.
 *
 * JSON has no NaN or Infinity, so float elements may be the strings "NaN", "Infinity" and
 * "-Infinity", in requests and in responses (numpy reads these strings back as floats). INT64 and
 * UINT64 elements may be decimal strings as well as numbers (see json.ts for exact numbers).
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

const converters: Readonly<Record<Datatype, Convert>> = {
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
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return value.toString();
  // Values here come from parsed JSON (bigint aside), so stringify cannot fail or return undefined.
  return JSON.stringify(value);
}

/** Why `value` does not fit `datatype`, for the error message. */
function explain(datatype: Datatype, value: unknown): string {
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

function invalid(tensor: string, problem: string, details: Record<string, unknown> = {}): StrataError {
  return new StrataError('INVALID_ARGUMENT', `input '${tensor}': ${problem}`, {
    details: { input: tensor, ...details },
  });
}

/** Input parameters that belong to extensions Strata does not implement, with what to do instead. */
const unsupportedInputParameters: Readonly<Record<string, string>> = {
  binary_data_size:
    'the binary tensor data extension is not supported; send the elements as a JSON "data" array',
  shared_memory_region:
    'the shared-memory extension is not supported; send the elements as a JSON "data" array',
};

/** One `$request_input` object as a tensor. `index` locates an input that has no usable name. */
export function decodeInput(input: unknown, index: number): Tensor {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `inputs[${index}] must be an object with name, shape, datatype and data`,
    );
  }
  const { name, shape, datatype, data, parameters } = input as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') {
    throw new StrataError('INVALID_ARGUMENT', `inputs[${index}].name must be a non-empty string`);
  }
  if (typeof parameters === 'object' && parameters !== null) {
    for (const [key, problem] of Object.entries(unsupportedInputParameters)) {
      if (key in parameters) throw invalid(name, problem, { parameter: key });
    }
  }
  if (!isDatatype(datatype)) {
    throw invalid(name, `unknown datatype ${show(datatype)}`, {
      allowed: Object.keys(converters),
    });
  }
  const dims = decodeShape(name, shape);
  return { name, datatype, shape: dims, data: decodeData(name, datatype, dims, data) };
}

function decodeShape(name: string, shape: unknown): number[] {
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  ) {
    throw invalid(name, `shape must be an array of non-negative integers, got ${show(shape)}`);
  }
  return shape as number[];
}

/** The elements of `data`, flat or nested exactly to `shape`, converted to the datatype's storage. */
export function decodeData(
  name: string,
  datatype: Datatype,
  shape: readonly number[],
  data: unknown,
): TensorData {
  if (!Array.isArray(data)) throw invalid(name, `"data" must be an array of ${datatype} elements`);
  const count = elementCount(shape);
  const nested = data.length > 0 && Array.isArray(data[0]);
  if (nested) checkNesting(name, shape, data);
  else if (data.length !== count) {
    throw invalid(name, `has ${data.length} elements; shape ${shapeText(shape)} needs ${count}`, {
      elements: data.length,
      expected: count,
    });
  }
  const convert = converters[datatype];
  const storage: TensorData = datatype === 'BYTES' ? new Array<string>(count) : newStorage(datatype, count);
  const out = storage as unknown as Record<number, unknown>;
  let at = 0;
  const write = (leaves: readonly unknown[]): void => {
    for (const value of leaves) {
      const element = convert(value);
      if (element === undefined) {
        throw invalid(name, `element ${at} (row-major): ${explain(datatype, value)}`, { element: at });
      }
      out[at++] = element;
    }
  };
  if (nested) forEachRow(data, shape.length - 1, write);
  else write(data);
  return storage;
}

/** Storage for numeric datatypes; BYTES is handled by the caller. */
function newStorage(datatype: Exclude<Datatype, 'BYTES'>, count: number): TensorData {
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
      return new Uint8Array(count);
    case 'UINT16':
    case 'FP16':
      return new Uint16Array(count);
    case 'UINT32':
      return new Uint32Array(count);
    case 'UINT64':
      return new BigUint64Array(count);
    case 'INT8':
      return new Int8Array(count);
    case 'INT16':
      return new Int16Array(count);
    case 'INT32':
      return new Int32Array(count);
    case 'INT64':
      return new BigInt64Array(count);
    case 'FP32':
      return new Float32Array(count);
    case 'FP64':
      return new Float64Array(count);
  }
}

/**
 * Nested data must follow the shape level by level (the "natural multi-dimensional
 * representation"); anything between that and flat is ambiguous or ragged. Checks only the
 * arrays, before any storage is allocated, so a shape that overstates the data costs nothing.
 */
function checkNesting(name: string, shape: readonly number[], data: readonly unknown[]): void {
  const visit = (array: readonly unknown[], level: number, path: string): void => {
    const innermost = level >= shape.length - 1;
    if (innermost && array.some((v) => Array.isArray(v))) {
      throw invalid(
        name,
        `"data"${path} is nested deeper than shape ${shapeText(shape)}; send it flat or nested to the shape`,
      );
    }
    const want = shape[level] ?? 1;
    if (array.length !== want) {
      throw invalid(
        name,
        `"data"${path} has ${array.length} entries; shape ${shapeText(shape)} needs ${want} at dimension ${level}`,
      );
    }
    if (innermost) return;
    array.forEach((child, i) => {
      if (!Array.isArray(child)) {
        throw invalid(
          name,
          `"data"${path}[${i}] must be an array: nested data follows shape ${shapeText(shape)} at every level`,
        );
      }
      visit(child, level + 1, `${path}[${i}]`);
    });
  };
  visit(data, 0, '');
}

/** Calls `write` with each innermost array of already-checked nested data, in row-major order. */
function forEachRow(
  array: readonly unknown[],
  levels: number,
  write: (row: readonly unknown[]) => void,
): void {
  if (levels === 0) {
    write(array);
    return;
  }
  for (const child of array) forEachRow(child as unknown[], levels - 1, write);
}

/** A finite float as JSON; non-finite values as the strings that decodeData accepts back. */
function floatJson(value: number): string {
  return Number.isFinite(value) ? String(value) : `"${String(value)}"`;
}

/**
 * A tensor's elements as a flat JSON array. 64-bit integers are written with all their digits
 * (the JSON grammar allows it; `JSON.stringify` cannot); FP16 is decoded to its exact value.
 */
export function encodeData(tensor: Tensor): string {
  const data = tensor.data;
  switch (tensor.datatype) {
    case 'BYTES':
      return JSON.stringify(data);
    case 'BOOL':
      return `[${Array.from(data as Uint8Array, (b) => (b === 0 ? 'false' : 'true')).join(',')}]`;
    case 'FP16':
      return `[${Array.from(data as Uint16Array, (bits) => floatJson(fromHalf(bits))).join(',')}]`;
    case 'FP32':
    case 'FP64': {
      const floats = data as Float32Array | Float64Array;
      // Number's string form is JSON's for every finite value; join is native and fast.
      if (floats.every(Number.isFinite)) return `[${floats.join(',')}]`;
      return `[${Array.from(floats, floatJson).join(',')}]`;
    }
    default:
      return `[${(data as Exclude<TensorData, string[]>).join(',')}]`;
  }
}

/** A `$response_output` object as JSON text. */
export function encodeOutput(tensor: Tensor): string {
  return (
    `{"name":${JSON.stringify(tensor.name)},"datatype":"${tensor.datatype}",` +
    `"shape":${JSON.stringify(tensor.shape)},"data":${encodeData(tensor)}}`
  );
}
