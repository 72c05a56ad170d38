import { StrataError } from '../../kernel/index.js';
import {
  allocate,
  elementBytes,
  elementCount,
  shapeText,
  type Datatype,
  type NumericArray,
  type Tensor,
  type TensorData,
} from '../tensor.js';

/**
 * The binary tensor data extension (Triton's `binary_tensor_data`, the default of tritonclient's
 * HTTP client): the body is a JSON header of `Inference-Header-Content-Length` bytes followed by
 * raw tensor bytes, little-endian and row-major, one block per tensor whose `parameters` carry
 * `binary_data_size`, in the order the header lists them. BOOL is one byte (0 or 1) per element;
 * a BYTES element is a 4-byte little-endian length and that many bytes. Strata keeps BYTES
 * elements as strings, so binary ones must be UTF-8.
 */

/** The header length field, as tritonclient and Triton name it. */
export const headerLengthField = 'inference-header-content-length';

/** A request body that carries binary tensors: the parsed JSON header and the bytes after it. */
export class BinaryBody {
  constructor(
    readonly header: unknown,
    readonly binary: Buffer,
  ) {}
}

function invalid(message: string, details?: Record<string, unknown>): StrataError {
  return new StrataError('INVALID_ARGUMENT', message, details === undefined ? {} : { details });
}

/** Splits a body at the JSON header's length; `parse` reads the header text. */
export function splitBinaryBody(
  body: Buffer,
  headerLength: string,
  parse: (text: string) => unknown,
): BinaryBody {
  const length = /^\d+$/.test(headerLength.trim()) ? Number(headerLength) : NaN;
  if (!Number.isSafeInteger(length) || length > body.length) {
    throw invalid(
      `Inference-Header-Content-Length must be the byte length of the JSON header, between 0 and the body's ${body.length} bytes; got '${headerLength}'`,
    );
  }
  return new BinaryBody(parse(body.subarray(0, length).toString('utf8')), body.subarray(length));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads the binary blocks of a request's inputs in order; `finish` checks that none is left over. */
export class BinaryReader {
  #at = 0;

  constructor(private readonly bytes: Buffer) {}

  /** The next `size` bytes as the elements of tensor `name`. */
  take(name: string, datatype: Datatype, shape: readonly number[], size: unknown): TensorData {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw invalid(`input '${name}': binary_data_size must be a non-negative integer byte count`, {
        input: name,
      });
    }
    if (this.#at + size > this.bytes.length) {
      throw invalid(
        `input '${name}': binary_data_size is ${size} bytes but only ${this.bytes.length - this.#at} binary bytes are left in the body`,
        { input: name },
      );
    }
    const block = this.bytes.subarray(this.#at, this.#at + size);
    this.#at += size;
    const count = elementCount(shape);
    return datatype === 'BYTES'
      ? readStrings(name, shape, count, block)
      : readNumbers(name, datatype, shape, count, block);
  }

  finish(): void {
    const left = this.bytes.length - this.#at;
    if (left > 0) {
      throw invalid(
        `the body has ${left} binary bytes after the last input's binary_data_size; the sizes and Inference-Header-Content-Length must add up to the body`,
      );
    }
  }
}

function readNumbers(
  name: string,
  datatype: Exclude<Datatype, 'BYTES'>,
  shape: readonly number[],
  count: number,
  block: Buffer,
): TensorData {
  const want = count * elementBytes(datatype);
  if (block.length !== want) {
    throw invalid(
      `input '${name}': binary_data_size is ${block.length} bytes; ${count} ${datatype} elements (shape ${shapeText(shape)}) take ${want}`,
      { input: name, bytes: block.length, expected: want },
    );
  }
  // A copy, not a view: the body's offset need not be aligned to the element size, and the
  // tensor may be handed to another thread.
  const data = allocate(datatype, count) as NumericArray;
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(block);
  if (datatype === 'BOOL') {
    const bad = (data as Uint8Array).findIndex((b) => b > 1);
    if (bad >= 0) {
      throw invalid(`input '${name}': element ${bad} (row-major) is byte ${block[bad]}; a BOOL is 0 or 1`, {
        input: name,
        element: bad,
      });
    }
  }
  return data;
}

function readStrings(name: string, shape: readonly number[], count: number, block: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < block.length) {
    if (at + 4 > block.length || out.length === count) break;
    const length = block.readUInt32LE(at);
    if (at + 4 + length > block.length) break;
    try {
      out.push(utf8.decode(block.subarray(at + 4, at + 4 + length)));
    } catch {
      throw invalid(
        `input '${name}': element ${out.length} (row-major) is not UTF-8 text; Strata keeps BYTES elements as strings`,
        { input: name, element: out.length },
      );
    }
    at += 4 + length;
  }
  if (at !== block.length || out.length !== count) {
    throw invalid(
      `input '${name}': the binary data does not hold exactly ${count} length-prefixed BYTES elements (shape ${shapeText(shape)}) in its ${block.length} bytes`,
      { input: name, expected: count },
    );
  }
  return out;
}

/** A tensor's elements in the extension's binary form; numeric storage is viewed, not copied. */
export function tensorBinary(tensor: Tensor): Buffer {
  const data = tensor.data;
  if (!Array.isArray(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const parts: Buffer[] = [];
  for (const element of data) {
    const bytes = Buffer.from(element, 'utf8');
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32LE(bytes.length);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}
