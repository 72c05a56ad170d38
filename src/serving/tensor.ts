import { StrataError } from '../kernel/index.js';

/** The Open Inference Protocol's tensor datatypes (KServe V2, "Tensor Data Types"). */
export const datatypes = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;

export type Datatype = (typeof datatypes)[number];

/**
 * Element storage per datatype. BOOL is one byte per element (0 or 1), FP16 keeps the raw
 * IEEE-754 half bits, 64-bit integers are bigint arrays (their range exceeds a double's), and
 * BYTES elements are strings (the protocol's JSON form; binary payloads are not supported yet).
 */
export interface TensorDataOf {
  BOOL: Uint8Array;
  UINT8: Uint8Array;
  UINT16: Uint16Array;
  UINT32: Uint32Array;
  UINT64: BigUint64Array;
  INT8: Int8Array;
  INT16: Int16Array;
  INT32: Int32Array;
  INT64: BigInt64Array;
  FP16: Uint16Array;
  FP32: Float32Array;
  FP64: Float64Array;
  BYTES: string[];
}

export type TensorData = TensorDataOf[Datatype];
export type NumericArray = Exclude<TensorData, string[]>;

export interface Tensor {
  readonly name: string;
  readonly datatype: Datatype;
  /** Concrete dimensions; `-1` appears only in declared shapes (TensorSpec), never here. */
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** A declared input or output: `-1` marks a dimension of any size. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

type ArrayConstructorOf = {
  [D in Exclude<Datatype, 'BYTES'>]: new (length: number) => TensorDataOf[D];
};

const arrayTypes: ArrayConstructorOf = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

/** Bytes per element, for cache and batch accounting (BYTES counts its strings separately). */
export function elementBytes(datatype: Datatype): number {
  if (datatype === 'BYTES') return 0;
  return new arrayTypes[datatype](0).BYTES_PER_ELEMENT;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Storage for `length` elements of `datatype`, zero-filled. */
export function allocate(datatype: Datatype, length: number): TensorData {
  if (datatype === 'BYTES') return new Array<string>(length).fill('');
  return new arrayTypes[datatype](length);
}

/** The memory a tensor's elements take: what the response cache and batch limits count. */
export function tensorBytes(tensor: Tensor): number {
  if (Array.isArray(tensor.data)) {
    let bytes = 0;
    for (const s of tensor.data) bytes += 2 * s.length;
    return bytes;
  }
  return tensor.data.byteLength;
}

export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && (datatypes as readonly string[]).includes(value);
}

/** `[2, -1, 3]` as text, for error messages. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Whether a concrete shape fits a declared one, where -1 matches any size. */
export function shapeMatches(shape: readonly number[], declared: readonly number[]): boolean {
  return shape.length === declared.length && shape.every((d, i) => declared[i] === -1 || declared[i] === d);
}

/**
 * Checks one tensor against its declaration: datatype, rank and fixed dimensions, and that the
 * element count agrees with the shape. The message names the tensor and what to send instead.
 */
export function checkTensor(tensor: Tensor, spec: TensorSpec): void {
  if (tensor.datatype !== spec.datatype) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `input '${tensor.name}' has datatype ${tensor.datatype}; the model expects ${spec.datatype}`,
      { details: { input: tensor.name, expected: spec.datatype, got: tensor.datatype } },
    );
  }
  if (!shapeMatches(tensor.shape, spec.shape)) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `input '${tensor.name}' has shape ${shapeText(tensor.shape)}; the model expects ${shapeText(spec.shape)} (-1 = any size)`,
      { details: { input: tensor.name, expected: spec.shape, got: tensor.shape } },
    );
  }
  checkElementCount(tensor);
}

export function checkElementCount(tensor: Tensor): void {
  const want = elementCount(tensor.shape);
  if (tensor.data.length !== want) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `tensor '${tensor.name}' has ${String(tensor.data.length)} elements; shape ${shapeText(tensor.shape)} needs ${String(want)}`,
      { details: { tensor: tensor.name, elements: tensor.data.length, expected: want } },
    );
  }
}

/** Rows along dimension 0 joined into one tensor; every part has the same datatype and inner shape. */
export function concatRows(name: string, parts: readonly Tensor[]): Tensor {
  const first = parts[0];
  if (first === undefined) throw new Error('concatRows needs at least one tensor');
  if (parts.length === 1) return { ...first, name };
  let rows = 0;
  let length = 0;
  for (const p of parts) {
    rows += p.shape[0] ?? 0;
    length += p.data.length;
  }
  const shape = [rows, ...first.shape.slice(1)];
  if (first.datatype === 'BYTES') {
    const data: string[] = [];
    for (const p of parts) for (const s of p.data as string[]) data.push(s);
    return { name, datatype: first.datatype, shape, data };
  }
  const data = allocate(first.datatype, length) as NumericArray;
  let at = 0;
  for (const p of parts) {
    setNumeric(data, p.data as NumericArray, at);
    at += p.data.length;
  }
  return { name, datatype: first.datatype, shape, data };
}

/** Rows [from, to) of a tensor along dimension 0, as a view where the storage allows one. */
export function sliceRows(tensor: Tensor, from: number, to: number): Tensor {
  const rows = tensor.shape[0] ?? 0;
  if (from === 0 && to === rows) return tensor;
  const inner = rows === 0 ? 0 : tensor.data.length / rows;
  const data = tensor.data.slice(from * inner, to * inner) as TensorData;
  return { name: tensor.name, datatype: tensor.datatype, shape: [to - from, ...tensor.shape.slice(1)], data };
}

// TypedArray#set is typed per array kind; every pair reaching here has the same element kind.
function setNumeric(target: NumericArray, source: NumericArray, at: number): void {
  (target as Float32Array).set(source as Float32Array, at);
}
