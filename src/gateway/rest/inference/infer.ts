import { StrataError } from '../../../kernel/index.js';
import type { InferRequest, InferResponse, Tensor } from '../../../serving/index.js';
import {
  BinaryBody,
  BinaryReader,
  decodeTensor,
  encodeOutput,
  headerLengthField,
  tensorBinary,
} from '../../../serving/index.js';

/** The model an infer call addresses: from the URL, the version only when the URL names one. */
export interface InferTarget {
  readonly model: string;
  readonly version: number | undefined;
}

/** Output parameters of extensions Strata does not implement, each with what to send instead. */
const unsupportedOutputParameters: Readonly<Record<string, (value: unknown) => string | undefined>> = {
  shared_memory_region: () => 'the shared-memory extension is not supported; omit shared_memory_region',
  classification: () =>
    'the classification extension is not supported; ask for the raw output and rank it in the client',
};

function invalid(message: string): StrataError {
  return new StrataError('INVALID_ARGUMENT', message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A decoded infer call: the request, and which outputs the client asked to get as binary data. */
export interface InferCall {
  readonly request: InferRequest;
  readonly binaryOutput: (name: string) => boolean;
}

/**
 * An `$inference_request` body, JSON or JSON plus binary tensors (src/serving/v2/binary.ts), as the serving
 * procedures' request. Everything the protocol defines is checked here, so a malformed request
 * fails before it reaches a model's queue.
 */
export function decodeInferRequest(
  body: unknown,
  target: InferTarget,
  headers: Readonly<Record<string, string | undefined>>,
): InferCall {
  const json = body instanceof BinaryBody ? body.header : body;
  const binary = body instanceof BinaryBody ? new BinaryReader(body.binary) : undefined;
  if (!isObject(json)) throw invalid('the request body must be a JSON object with an "inputs" array');
  const { id, parameters, inputs, outputs } = json;
  if (id !== undefined && typeof id !== 'string') throw invalid('"id" must be a string');
  if (parameters !== undefined && !isObject(parameters)) throw invalid('"parameters" must be an object');
  if (parameters !== undefined) checkParameters(parameters);
  const allBinary = binaryFlag(parameters?.['binary_data_output'], 'parameter binary_data_output') ?? false;
  if (!Array.isArray(inputs)) throw invalid('"inputs" must be an array of input tensors');
  const tensors = inputs.map((input, index) =>
    decodeTensor(input, index, binary === undefined ? {} : { binary }),
  );
  binary?.finish();
  const seen = new Set<string>();
  for (const tensor of tensors) {
    if (seen.has(tensor.name)) throw invalid(`input '${tensor.name}' appears more than once in "inputs"`);
    seen.add(tensor.name);
  }
  const requested = outputs === undefined ? undefined : decodeRequestedOutputs(outputs);
  const request: InferRequest = {
    model: target.model,
    ...(target.version === undefined ? {} : { version: target.version }),
    ...(id === undefined ? {} : { id }),
    inputs: tensors,
    ...(requested === undefined ? {} : { outputs: requested.map((o) => o.name) }),
    ...(parameters === undefined ? {} : { parameters }),
    headers,
  };
  const binaryByName = new Map(requested?.map((o) => [o.name, o.binary ?? allBinary]));
  return { request, binaryOutput: (name) => binaryByName.get(name) ?? allBinary };
}

/** A `binary_data` / `binary_data_output` parameter: a boolean when given. */
function binaryFlag(value: unknown, what: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw invalid(`${what} must be true or false`);
}

/**
 * The protocol's parameter values are strings, numbers and booleans. A bigint (an integer literal
 * beyond 2^53, see src/serving/v2/json.ts) would reach the service's cache key, which cannot hash it.
 */
function checkParameters(parameters: Readonly<Record<string, unknown>>): void {
  for (const [key, value] of Object.entries(parameters)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') continue;
    const problem =
      typeof value === 'bigint'
        ? 'is an integer beyond 2^53, which parameters cannot carry; send it as a string'
        : 'must be a string, number or boolean';
    throw invalid(`parameter '${key}' ${problem}`);
  }
}

function decodeRequestedOutputs(outputs: unknown): { name: string; binary: boolean | undefined }[] {
  if (!Array.isArray(outputs)) throw invalid('"outputs" must be an array of {"name": ...} objects');
  return outputs.map((output, index) => {
    if (!isObject(output) || typeof output['name'] !== 'string' || output['name'] === '') {
      throw invalid(`outputs[${index}] must be an object with a non-empty string "name"`);
    }
    const name = output['name'];
    const parameters = output['parameters'];
    if (parameters !== undefined && !isObject(parameters)) {
      throw invalid(`output '${name}': "parameters" must be an object`);
    }
    for (const [key, check] of Object.entries(unsupportedOutputParameters)) {
      const problem = parameters !== undefined && key in parameters ? check(parameters[key]) : undefined;
      if (problem !== undefined) throw invalid(`output '${name}': ${problem}`);
    }
    return { name, binary: binaryFlag(parameters?.['binary_data'], `output '${name}': binary_data`) };
  });
}

/** An encoded response: JSON text, or a JSON header and binary tensors with the header naming its length. */
export interface EncodedResponse {
  readonly body: string | Buffer;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * An `$inference_response`. The JSON is written by hand so that 64-bit integers keep every digit
 * (src/serving/v2/codec.ts); `model_version` is a string in the protocol. Outputs for which `binaryOutput` is
 * true carry `binary_data_size` instead of `data`, and their bytes follow the JSON in order.
 */
export function encodeInferResponse(
  response: InferResponse,
  binaryOutput: (name: string) => boolean = () => false,
): EncodedResponse {
  const id = response.id === undefined ? '' : `"id":${JSON.stringify(response.id)},`;
  const blocks: Buffer[] = [];
  const outputs = response.outputs.map((tensor: Tensor) => {
    if (!binaryOutput(tensor.name)) return encodeOutput(tensor);
    const block = tensorBinary(tensor);
    blocks.push(block);
    return encodeOutput(tensor, block.length);
  });
  const json =
    `{"model_name":${JSON.stringify(response.model)},"model_version":"${response.version}",` +
    `${id}"outputs":[${outputs.join(',')}]}`;
  if (blocks.length === 0) return { body: json, contentType: 'application/json; charset=utf-8', headers: {} };
  const header = Buffer.from(json, 'utf8');
  return {
    body: Buffer.concat([header, ...blocks]),
    contentType: 'application/octet-stream',
    headers: { [headerLengthField]: String(header.length) },
  };
}
