import { StrataError } from '../kernel/index.js';
import { fromHalf, toHalf } from './half.js';
import {
  allocate,
  checkElementCount,
  isDatatype,
  type Datatype,
  type NumericArray,
  type Tensor,
  type TensorData,
} from './tensor.js';

/**
 * Tensors in the Open Inference Protocol's JSON form (KServe V2 REST, "$request_input"):
 * `{name, datatype, shape, data}` with `data` flattened in row-major order. The conventions are
 * those of Strata's own /v2 routes (docs/decisions/0005): BOOL as true/false, FP16 as numbers,
 * 64-bit integers as JSON integers with all their digits (or decimal strings), non-finite floats
 * as the strings "NaN", "Infinity" and "-Infinity", BYTES as strings.
 */

/** One tensor as JSON text. Hand-written around `data` so that 64-bit integers stay exact. */
export function tensorToJson(tensor: Tensor): string {
  const head = JSON.stringify({ name: tensor.name, datatype: tensor.datatype, shape: tensor.shape });
  return `${head.slice(0, -1)},"data":${dataToJson(tensor.datatype, tensor.data)}}`;
}

const finiteOrName = (x: number): number | string => (Number.isFinite(x) ? x : String(x));

function dataToJson(datatype: Datatype, data: TensorData): string {
  switch (datatype) {
    case 'BYTES':
      return JSON.stringify(data);
    case 'BOOL':
      return JSON.stringify(Array.from(data as Uint8Array, (b) => b !== 0));
    case 'INT64':
    case 'UINT64':
      return `[${Array.from(data as BigInt64Array, String).join(',')}]`;
    case 'FP16':
      return JSON.stringify(Array.from(data as Uint16Array, (h) => finiteOrName(fromHalf(h))));
    default:
      return JSON.stringify(Array.from(data as Float64Array, finiteOrName));
  }
}

/**
 * JSON.parse, except that integer literals of 16 or more digits (outside strings) come back as
 * decimal strings instead of rounded doubles, so that 64-bit integers survive; tensorFromJson
 * takes such strings for every numeric datatype.
 */
export function parseJsonExact(text: string): unknown {
  if (!/\d{16}/.test(text)) return JSON.parse(text);
  return JSON.parse(
    text.replace(/"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g, (token) =>
      token.startsWith('"') ? token : `"${token}"`,
    ),
  );
}

const integerRange: Readonly<Partial<Record<Datatype, readonly [bigint, bigint]>>> = {
  UINT8: [0n, 0xffn],
  UINT16: [0n, 0xffffn],
  UINT32: [0n, 0xffff_ffffn],
  UINT64: [0n, 2n ** 64n - 1n],
  INT8: [-0x80n, 0x7fn],
  INT16: [-0x8000n, 0x7fffn],
  INT32: [-0x8000_0000n, 0x7fff_ffffn],
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
};

const decimalInteger = /^-?\d+$/;
const floatNames: ReadonlyMap<string, number> = new Map([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
]);

/**
 * A JSON tensor (already parsed, by parseJsonExact for exact 64-bit integers) as a Tensor.
 * `where` names it in errors ("output 'x' of the remote server"); every failure is
 * INVALID_ARGUMENT, for the caller to re-code when the JSON came from a server rather than a
 * client. Nested `data` arrays are flattened.
 */
export function tensorFromJson(value: unknown, where: string): Tensor {
  const fail = (message: string): never => {
    throw new StrataError('INVALID_ARGUMENT', `${where}: ${message}`);
  };
  if (typeof value !== 'object' || value === null)
    return fail('expected an object {name, datatype, shape, data}');
  const { name, datatype, shape, data } = value as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return fail("'name' must be a non-empty string");
  if (!isDatatype(datatype))
    return fail(`'datatype' must be one of BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0))
    return fail("'shape' must be an array of non-negative integers");
  if (!Array.isArray(data)) return fail("'data' must be an array");
  const flat = data.flat(Infinity) as unknown[];
  const elements = allocate(datatype, flat.length);
  const range = integerRange[datatype];
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    const bad = (expected: string): never =>
      fail(`'data' element ${String(i)} is ${JSON.stringify(v)}; ${datatype} needs ${expected}`);
    if (datatype === 'BYTES') {
      (elements as string[])[i] = typeof v === 'string' ? v : bad('strings');
    } else if (datatype === 'BOOL') {
      if (v !== true && v !== false && v !== 0 && v !== 1) bad('true or false');
      (elements as Uint8Array)[i] = v === true || v === 1 ? 1 : 0;
    } else if (range !== undefined) {
      const n =
        (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && decimalInteger.test(v))
          ? BigInt(v)
          : undefined;
      if (n === undefined || n < range[0] || n > range[1])
        return bad(`integers in [${String(range[0])}, ${String(range[1])}]`);
      if (datatype === 'INT64' || datatype === 'UINT64') (elements as BigInt64Array)[i] = n;
      else (elements as Int32Array)[i] = Number(n);
    } else {
      const x =
        typeof v === 'number'
          ? v
          : typeof v === 'string'
            ? (floatNames.get(v) ?? (decimalInteger.test(v) ? Number(v) : bad('numbers')))
            : bad('numbers');
      (elements as NumericArray as Float64Array)[i] = datatype === 'FP16' ? toHalf(x) : x;
    }
  }
  const tensor: Tensor = { name, datatype, shape: shape as number[], data: elements };
  checkElementCount(tensor);
  return tensor;
}
