import { StrataError, isStrataError } from '../../kernel/index.js';
import {
  MODEL_BACKEND_API_VERSION,
  type ExecuteRequest,
  type LoadRequest,
  type LoadedModel,
  type ModelBackend,
} from '../backend.js';
import { datatypes, isDatatype, shapeText, type Tensor, type TensorSpec } from '../tensor.js';
import { decodeTensor, encodeOutput } from '../v2/codec.js';
import { parseRequestJson } from '../v2/json.js';
import {
  fetchRemote,
  remoteJson,
  remoteSettings,
  type RemoteRequest,
  type RemoteSettings,
} from './remote-http.js';

/**
 * A model served by another Open Inference Protocol server (Triton, KServe, another Strata) over
 * HTTP/JSON: load reads the remote model's metadata and readiness, each instance forwards
 * `POST /v2/models/{name}/infer`. Batching stays in this server's core; the remote sees batches
 * of up to max_batch_size rows, so its model must batch as well when max_batch_size > 0.
 */
export const remoteOipBackend: ModelBackend = {
  apiVersion: MODEL_BACKEND_API_VERSION,
  name: 'remote-oip',
  capabilities: { batching: true, datatypes, devices: ['cpu'], describesModel: true },
  load: loadRemoteOip,
};

async function loadRemoteOip(request: LoadRequest): Promise<LoadedModel> {
  const remote = remoteSettings(request);
  const modelPath = `/v2/models/${encodeURIComponent(remote.model)}`;
  const get = (path: string): Promise<Response> => fetchRemote(call(remote, 'GET', path));

  const metadataResponse = await get(modelPath);
  // Triton answers 400 for an unknown model, KServe and Strata 404.
  if (metadataResponse.status === 400 || metadataResponse.status === 404) {
    await metadataResponse.body?.cancel();
    throw new StrataError(
      'NOT_FOUND',
      `model '${request.model}': the remote server ${remote.server} has no model '${remote.model}' (HTTP ${String(metadataResponse.status)}); check remote.url and remote.model`,
      { details: { server: remote.server, remoteModel: remote.model } },
    );
  }
  const metadata = await remoteJson(metadataResponse, call(remote, 'GET', modelPath));
  const ready = await get(`${modelPath}/ready`);
  await ready.body?.cancel();
  if (!ready.ok) {
    throw new StrataError(
      'UNAVAILABLE',
      `model '${request.model}': the remote model '${remote.model}' at ${remote.server} is not ready (HTTP ${String(ready.status)}); load it there, then load this model again`,
      { details: { server: remote.server, remoteModel: remote.model } },
    );
  }
  const batching = request.config.max_batch_size > 0;
  const specsOf = (key: 'inputs' | 'outputs'): TensorSpec[] =>
    readSpecs((metadata as Record<string, unknown> | null)?.[key], key, batching, request.model, remote);
  const inputs = specsOf('inputs');
  const outputs = specsOf('outputs');

  return {
    inputs,
    outputs,
    createInstance: () =>
      Promise.resolve({
        execute: (execute) => infer(remote, `${modelPath}/infer`, inputs, execute),
        close: () => Promise.resolve(),
      }),
    unload: () => Promise.resolve(),
  };
}

function call(remote: RemoteSettings, method: 'GET' | 'POST', path: string, body?: string): RemoteRequest {
  return {
    server: remote.server,
    path,
    method,
    ...(body === undefined ? {} : { body }),
    apiKey: remote.apiKey,
    signal: AbortSignal.timeout(remote.timeoutMs),
    timeoutMs: remote.timeoutMs,
  };
}

/** The remote's declared tensors; with batching, its leading -1 is the batch dimension and goes. */
function readSpecs(
  value: unknown,
  key: 'inputs' | 'outputs',
  batching: boolean,
  model: string,
  remote: RemoteSettings,
): TensorSpec[] {
  const where = `model '${model}': the metadata of remote model '${remote.model}' at ${remote.server}`;
  if (!Array.isArray(value)) {
    throw new StrataError('MODEL_EXECUTION_FAILED', `${where} has no '${key}' list`);
  }
  return value.map((entry: unknown): TensorSpec => {
    const { name, datatype, shape } = (entry ?? {}) as Record<string, unknown>;
    if (
      typeof name !== 'string' ||
      !isDatatype(datatype) ||
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isInteger(d) && (d as number) >= -1)
    ) {
      throw new StrataError(
        'MODEL_EXECUTION_FAILED',
        `${where} has an invalid entry in '${key}': ${JSON.stringify(entry)}`,
      );
    }
    const dims = shape as number[];
    if (!batching) return { name, datatype, shape: dims };
    if (dims[0] !== -1) {
      throw new StrataError(
        'CONFIG_INVALID',
        `${where} declares ${key.slice(0, -1)} '${name}' with shape ${shapeText(dims)}, which has no variable first (batch) dimension; set max_batch_size: 0 for this model`,
      );
    }
    return { name, datatype, shape: dims.slice(1) };
  });
}

async function infer(
  remote: RemoteSettings,
  path: string,
  specs: readonly TensorSpec[],
  request: ExecuteRequest,
): Promise<Tensor[]> {
  const inputs = request.inputs.map((t, i) => encodeOutput({ ...t, name: specs[i]?.name ?? t.name }));
  const parts = [`"inputs":[${inputs.join(',')}]`];
  if (request.outputs.length > 0)
    parts.push(`"outputs":${JSON.stringify(request.outputs.map((name) => ({ name })))}`);
  if (Object.keys(request.parameters).length > 0)
    parts.push(`"parameters":${JSON.stringify(request.parameters)}`);
  const post = call(remote, 'POST', path, `{${parts.join(',')}}`);
  const answer = await remoteJson(await fetchRemote(post), post, parseRequestJson);

  const where = `the remote model server ${remote.server}`;
  const listed = (answer as Record<string, unknown> | null)?.['outputs'];
  if (!Array.isArray(listed)) {
    throw new StrataError('MODEL_EXECUTION_FAILED', `${where} answered without an 'outputs' list`);
  }
  let outputs: Tensor[];
  try {
    outputs = listed.map((o, i) => decodeTensor(o, i, { role: 'output' }));
  } catch (error) {
    // Malformed output is the remote's failure, not the caller's.
    if (isStrataError(error))
      throw new StrataError('MODEL_EXECUTION_FAILED', `${where}: ${error.message}`, { cause: error });
    throw error;
  }
  if (request.outputs.length === 0) return outputs;
  return request.outputs.map((name) => {
    const found = outputs.find((o) => o.name === name);
    if (found === undefined) {
      throw new StrataError(
        'MODEL_EXECUTION_FAILED',
        `${where} did not return the requested output '${name}'`,
      );
    }
    return found;
  });
}
