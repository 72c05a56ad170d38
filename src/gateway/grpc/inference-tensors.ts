import { StrataError } from '../../kernel/index.js';
import {
  BinaryReader,
  decodeTensor,
  isDatatype,
  tensorBinary,
  type Datatype,
  type InferRequest,
  type InferResponse,
  type Tensor,
} from '../../serving/index.js';
import type {
  InputTensorMessage,
  ModelInferRequestMessage,
  ModelInferResponseMessage,
  OutputTensorMessage,
  ParameterMap,
  TensorContentsMessage,
} from './inference-messages.js';

/**
 * ModelInfer's messages to the serving procedures' request and back. Elements go through the same
 * decoder as the REST adapter's JSON (src/serving/v2/codec.ts), so a value is accepted or refused
 * with the same message whichever transport carried it: typed `contents` become the JSON form's
 * element arrays, `raw_input_contents` the binary tensor extension's blocks.
 */

type ContentsField = keyof TensorContentsMessage;

/** The `InferTensorContents` field of each datatype; FP16 has none and travels only raw. */
const contentsField: Readonly<Record<Datatype, ContentsField | undefined>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP16: undefined,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

const fields: readonly ContentsField[] = [
  'bool_contents',
  'int_contents',
  'int64_contents',
  'uint_contents',
  'uint64_contents',
  'fp32_contents',
  'fp64_contents',
  'bytes_contents',
];

const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalid(message: string): StrataError {
  return new StrataError('INVALID_ARGUMENT', message);
}

/** A decoded ModelInfer: the request, and whether its outputs go back raw (as its inputs came). */
export interface GrpcInferCall {
  readonly request: InferRequest;
  readonly rawOutput: boolean;
}

export function decodeModelInferRequest(
  message: ModelInferRequestMessage,
  headers: Readonly<Record<string, string>>,
): GrpcInferCall {
  const raw = message.raw_input_contents;
  if (raw.length > 0 && raw.length !== message.inputs.length) {
    throw invalid(
      `raw_input_contents has ${raw.length} entries for ${message.inputs.length} inputs; send one per input, in the order of "inputs"`,
    );
  }
  const inputs = message.inputs.map((input, index) => decodeInput(input, index, raw[index]));
  const seen = new Set<string>();
  for (const tensor of inputs) {
    if (seen.has(tensor.name)) throw invalid(`input '${tensor.name}' appears more than once in "inputs"`);
    seen.add(tensor.name);
  }
  const outputs = message.outputs.map((output, index) => {
    if (output.name === '') throw invalid(`outputs[${index}] needs a name`);
    for (const key of Object.keys(output.parameters)) {
      if (key === 'shared_memory_region' || key === 'classification') {
        throw invalid(
          `output '${output.name}': parameter '${key}' belongs to an extension Strata does not implement`,
        );
      }
    }
    return output.name;
  });
  const version = parseVersion(message.model_version);
  const parameters = parameterValues(message.parameters, 'parameter');
  const request: InferRequest = {
    model: message.model_name,
    ...(version === undefined ? {} : { version }),
    ...(message.id === '' ? {} : { id: message.id }),
    inputs,
    ...(outputs.length === 0 ? {} : { outputs }),
    ...(Object.keys(parameters).length === 0 ? {} : { parameters }),
    headers,
  };
  return { request, rawOutput: raw.length > 0 };
}

/** A model version as the protocol sends it, a string: empty for "the server decides". */
export function parseVersion(text: string): number | undefined {
  if (text === '') return undefined;
  const version = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw invalid(`model version '${text}' must be a positive integer, or empty for the server's choice`);
  }
  return version;
}

function decodeInput(input: InputTensorMessage, index: number, raw: Buffer | undefined): Tensor {
  const shape = input.shape.map(Number);
  const parameters = parameterValues(input.parameters, `input '${input.name}': parameter`);
  const contents = input.contents ?? {};
  const given = fields.filter((field) => (contents[field]?.length ?? 0) > 0);
  const json = { name: input.name, datatype: input.datatype, shape, parameters };
  if (raw !== undefined) {
    if (given.length > 0) {
      throw invalid(`input '${input.name}' has both contents and raw_input_contents; send one of them`);
    }
    // The binary tensor extension's reader, over this input's block alone.
    const binary = new BinaryReader(raw);
    const tensor = decodeTensor(
      { ...json, parameters: { ...parameters, binary_data_size: raw.length } },
      index,
      {
        binary,
      },
    );
    binary.finish();
    return tensor;
  }
  const field = isDatatype(input.datatype) ? contentsField[input.datatype] : undefined;
  if (input.datatype === 'FP16') {
    throw invalid(`input '${input.name}': FP16 has no typed contents field; send it in raw_input_contents`);
  }
  const stray = given.find((f) => f !== field);
  if (stray !== undefined && field !== undefined) {
    throw invalid(`input '${input.name}' is ${input.datatype}; its elements go in ${field}, not ${stray}`);
  }
  const elements = field === undefined ? [] : (contents[field] ?? []);
  const data =
    field === 'bytes_contents'
      ? (elements as Buffer[]).map((bytes, element) => textOf(input.name, element, bytes))
      : elements;
  return decodeTensor({ ...json, data }, index);
}

function textOf(name: string, element: number, bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw invalid(
      `input '${name}': element ${element} (row-major) is not UTF-8 text; Strata keeps BYTES elements as strings`,
    );
  }
}

/**
 * `InferParameter`s as the procedures' plain values. A 64-bit parameter beyond 2^53 cannot be a
 * number without changing it, so it is refused rather than rounded.
 */
export function parameterValues(parameters: ParameterMap, what: string): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, parameter] of Object.entries(parameters)) {
    const choice = parameter.parameter_choice;
    if (choice === undefined) throw invalid(`${what} '${key}' has no value`);
    const value = parameter[choice];
    if (choice === 'int64_param' || choice === 'uint64_param') {
      const number = Number(value);
      if (!Number.isSafeInteger(number)) {
        throw invalid(
          `${what} '${key}' is an integer beyond 2^53, which parameters cannot carry; send it as a string`,
        );
      }
      values[key] = number;
    } else values[key] = value;
  }
  return values;
}

/**
 * The response for a decoded request: outputs raw when the request's inputs were (as Triton
 * answers), and when an output is FP16, which has no typed field; typed contents otherwise.
 */
export function encodeModelInferResponse(
  response: InferResponse,
  rawOutput: boolean,
): ModelInferResponseMessage {
  const raw = rawOutput || response.outputs.some((t) => t.datatype === 'FP16');
  const outputs = response.outputs.map((tensor): OutputTensorMessage => ({
    name: tensor.name,
    datatype: tensor.datatype,
    shape: tensor.shape,
    ...(raw ? {} : { contents: typedContents(tensor) }),
  }));
  return {
    model_name: response.model,
    model_version: String(response.version),
    id: response.id ?? '',
    outputs,
    raw_output_contents: raw ? response.outputs.map((tensor) => Buffer.from(tensorBinary(tensor))) : [],
  };
}

function typedContents(tensor: Tensor): TensorContentsMessage {
  const data = tensor.data;
  switch (tensor.datatype) {
    case 'BOOL':
      return { bool_contents: Array.from(data as Uint8Array, (b) => b !== 0) };
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return { int_contents: Array.from(data as Int32Array) };
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return { uint_contents: Array.from(data as Uint32Array) };
    // Decimal strings: protobuf.js writes them exactly, where a number would round past 2^53.
    case 'INT64':
      return { int64_contents: Array.from(data as BigInt64Array, String) };
    case 'UINT64':
      return { uint64_contents: Array.from(data as BigUint64Array, String) };
    case 'FP32':
      return { fp32_contents: Array.from(data as Float32Array) };
    case 'FP64':
      return { fp64_contents: Array.from(data as Float64Array) };
    case 'BYTES':
      return { bytes_contents: (data as string[]).map((s) => Buffer.from(s, 'utf8')) };
    case 'FP16':
      throw new StrataError('INTERNAL', 'FP16 outputs are sent raw');
  }
}
