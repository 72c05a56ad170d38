import { StrataError } from '../../kernel/index.js';
import { fromHalf } from '../half.js';
import {
  allocate,
  elementCount,
  isDatatype,
  shapeText,
  type Datatype,
  type NumericArray,
  type Tensor,
  type TensorData,
} from '../tensor.js';
import type { BinaryReader } from './binary.js';
import { converters, explain, show } from './elements.js';

/**
 * Tensors in the Open Inference Protocol's JSON form ("Tensor Data" in KServe's required_api.md):
 * row-major elements, flat or nested to the tensor's shape, each checked against the datatype
 * (elements.ts) and reported with its row-major index when it does not fit. Responses write
 * non-finite floats as the strings "NaN", "Infinity" and "-Infinity", which requests accept back
 * (and numpy reads as floats).
 */

/** Which tensor a message is about: an input of a request, or an output of a response. */
export type TensorRole = 'input' | 'output';

/** The tensor being decoded, for messages: `input 'x': ...` */
interface Subject {
  readonly role: TensorRole;
  readonly name: string;
}

function invalid(tensor: Subject, problem: string, details: Record<string, unknown> = {}): StrataError {
  return new StrataError('INVALID_ARGUMENT', `${tensor.role} '${tensor.name}': ${problem}`, {
    details: { [tensor.role]: tensor.name, ...details },
  });
}

/** Input parameters that belong to extensions Strata does not implement, with what to do instead. */
const unsupportedInputParameters: Readonly<Record<string, string>> = {
  shared_memory_region:
    'the shared-memory extension is not supported; send the elements as a JSON "data" array',
};

export interface DecodeOptions {
  /** What the tensor is, for messages; 'input' (a client's request) when absent. */
  readonly role?: TensorRole;
  /** The body's binary blocks when it has any (binary.ts), for tensors with `binary_data_size`. */
  readonly binary?: BinaryReader;
}

/**
 * One `$request_input` (or, with role 'output', `$response_output`) object as a tensor. `index`
 * locates a tensor that has no usable name. Tensors whose parameters give a `binary_data_size`
 * instead of `data` take their elements from `options.binary`.
 */
export function decodeTensor(value: unknown, index: number, options: DecodeOptions = {}): Tensor {
  const role = options.role ?? 'input';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `${role}s[${index}] must be an object with name, shape, datatype and data`,
    );
  }
  const { name, shape, datatype, data, parameters } = value as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') {
    throw new StrataError('INVALID_ARGUMENT', `${role}s[${index}].name must be a non-empty string`);
  }
  const subject: Subject = { role, name };
  if (typeof parameters === 'object' && parameters !== null) {
    for (const [key, problem] of Object.entries(unsupportedInputParameters)) {
      if (key in parameters) throw invalid(subject, problem, { parameter: key });
    }
  }
  if (!isDatatype(datatype)) {
    throw invalid(subject, `unknown datatype ${show(datatype)}`, {
      allowed: Object.keys(converters),
    });
  }
  const dims = decodeShape(subject, shape);
  const binary = options.binary;
  const size =
    typeof parameters === 'object' && parameters !== null
      ? (parameters as Record<string, unknown>)['binary_data_size']
      : undefined;
  if (size === undefined)
    return { name, datatype, shape: dims, data: decodeData(subject, datatype, dims, data) };
  if (data !== undefined) throw invalid(subject, 'has both "data" and binary_data_size; send one of them');
  if (binary === undefined) {
    throw invalid(
      subject,
      "has binary_data_size but the body has no binary part; send the Inference-Header-Content-Length header with the JSON header's byte length",
    );
  }
  return { name, datatype, shape: dims, data: binary.take(name, datatype, dims, size) };
}

function decodeShape(name: Subject, shape: unknown): number[] {
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  ) {
    throw invalid(name, `shape must be an array of non-negative integers, got ${show(shape)}`);
  }
  return shape as number[];
}

/** The elements of `data`, flat or nested exactly to `shape`, converted to the datatype's storage. */
function decodeData(name: Subject, datatype: Datatype, shape: readonly number[], data: unknown): TensorData {
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
  const storage = allocate(datatype, count);
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

/**
 * Nested data must follow the shape level by level (the "natural multi-dimensional
 * representation"); anything between that and flat is ambiguous or ragged. Checks only the
 * arrays, before any storage is allocated, so a shape that overstates the data costs nothing.
 */
function checkNesting(name: Subject, shape: readonly number[], data: readonly unknown[]): void {
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
      // Number's string form is JSON's for every finite value. JSON.stringify writes the digits
      // straight into its output, where join first makes a string of each element: for 768
      // floats it takes half the time for the same text (bench/serving.ts's responses).
      if (floats.every(Number.isFinite)) return JSON.stringify(Array.from(floats));
      return `[${Array.from(floats, floatJson).join(',')}]`;
    }
    default:
      return `[${(data as Exclude<TensorData, string[]>).join(',')}]`;
  }
}

/**
 * A tensor's elements as JSON values, for transports that build their answer as objects (GraphQL).
 * As encodeData writes them, except that a 64-bit integer beyond 2^53, which a JSON number parsed
 * into a double would change, is a string of its digits.
 */
export function tensorValues(tensor: Tensor): unknown[] {
  const data = tensor.data;
  switch (tensor.datatype) {
    case 'BYTES':
      return [...(data as string[])];
    case 'BOOL':
      return Array.from(data as Uint8Array, (b) => b !== 0);
    case 'FP16':
      return Array.from(data as Uint16Array, (bits) => floatValue(fromHalf(bits)));
    case 'FP32':
    case 'FP64':
      return Array.from(data as Float32Array | Float64Array, floatValue);
    case 'INT64':
    case 'UINT64':
      return Array.from(data as BigInt64Array | BigUint64Array, (big) => {
        const value = Number(big);
        return Number.isSafeInteger(value) ? value : big.toString();
      });
    default:
      return Array.from(data as Exclude<NumericArray, BigInt64Array | BigUint64Array>);
  }
}

function floatValue(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/**
 * A `$response_output` object as JSON text: with its elements, or with `binary_data_size` when
 * they follow the JSON as binary data (binary.ts).
 */
export function encodeOutput(tensor: Tensor, binarySize?: number): string {
  const head = `{"name":${JSON.stringify(tensor.name)},"datatype":"${tensor.datatype}","shape":${JSON.stringify(tensor.shape)}`;
  if (binarySize !== undefined) return `${head},"parameters":{"binary_data_size":${binarySize}}}`;
  return `${head},"data":${encodeData(tensor)}}`;
}
