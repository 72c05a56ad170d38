import { StrataError } from '../../../kernel/index.js';
import type { InferRequest, InferResponse, Tensor } from '../../../serving/index.js';
import { decodeInput, encodeOutput } from './codec.js';

/** The model an infer call addresses: from the URL, the version only when the URL names one. */
export interface InferTarget {
  readonly model: string;
  readonly version: number | undefined;
}

/** Output parameters of extensions Strata does not implement, each with what to send instead. */
const unsupportedOutputParameters: Readonly<Record<string, (value: unknown) => string | undefined>> = {
  binary_data: (value) =>
    value === true
      ? 'binary output data (the binary tensor data extension) is not supported; ask for JSON output (tritonclient: binary_data=False)'
      : undefined,
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

/**
 * An `$inference_request` body as the serving procedures' request. Everything the protocol
 * defines is checked here, so a malformed request fails before it reaches a model's queue.
 */
export function decodeInferRequest(
  body: unknown,
  target: InferTarget,
  headers: Readonly<Record<string, string | undefined>>,
): InferRequest {
  if (!isObject(body)) throw invalid('the request body must be a JSON object with an "inputs" array');
  const { id, parameters, inputs, outputs } = body;
  if (id !== undefined && typeof id !== 'string') throw invalid('"id" must be a string');
  if (parameters !== undefined && !isObject(parameters)) throw invalid('"parameters" must be an object');
  if (parameters !== undefined) checkParameters(parameters);
  if (parameters?.['binary_data_output'] === true) {
    throw invalid(
      'binary output data (parameter binary_data_output) is not supported; ask for JSON output (tritonclient: binary_data=False)',
    );
  }
  if (!Array.isArray(inputs)) throw invalid('"inputs" must be an array of input tensors');
  const tensors = inputs.map((input, index) => decodeInput(input, index));
  const seen = new Set<string>();
  for (const tensor of tensors) {
    if (seen.has(tensor.name)) throw invalid(`input '${tensor.name}' appears more than once in "inputs"`);
    seen.add(tensor.name);
  }
  return {
    model: target.model,
    ...(target.version === undefined ? {} : { version: target.version }),
    ...(id === undefined ? {} : { id }),
    inputs: tensors,
    ...(outputs === undefined ? {} : { outputs: decodeRequestedOutputs(outputs) }),
    ...(parameters === undefined ? {} : { parameters }),
    headers,
  };
}

/**
 * The protocol's parameter values are strings, numbers and booleans. A bigint (an integer literal
 * beyond 2^53, see json.ts) would reach the service's cache key, which cannot hash it.
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

function decodeRequestedOutputs(outputs: unknown): string[] {
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
    return name;
  });
}

/**
 * An `$inference_response` as JSON text. Written by hand so that 64-bit integers keep every digit
 * (codec.ts); `model_version` is a string in the protocol.
 */
export function encodeInferResponse(response: InferResponse): string {
  const id = response.id === undefined ? '' : `"id":${JSON.stringify(response.id)},`;
  const outputs = response.outputs.map((tensor: Tensor) => encodeOutput(tensor)).join(',');
  return (
    `{"model_name":${JSON.stringify(response.model)},"model_version":"${response.version}",` +
    `${id}"outputs":[${outputs}]}`
  );
}
