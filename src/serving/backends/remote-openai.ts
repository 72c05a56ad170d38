import { StrataError } from '../../kernel/index.js';
import {
  MODEL_BACKEND_API_VERSION,
  type ExecuteRequest,
  type LoadRequest,
  type LoadedModel,
  type ModelBackend,
} from '../backend.js';
import { shapeText, type Tensor, type TensorSpec } from '../tensor.js';
import { fetchRemote, remoteJson, remoteSettings, type RemoteSettings } from './remote-http.js';

/**
 * An OpenAI-compatible server's embeddings (`POST /v1/embeddings`: OpenAI, vLLM, Ollama, TEI) as
 * a tensor model: one BYTES input of texts, shape [n] or [n, 1], to one FP32 output [n, dim]. The
 * dimension is unknown until the first answer, so the output is declared [-1] unless the model
 * config declares it. Chat is not a tensor model: the gateway forwards it (ServingProcedures.chatTarget).
 */
export const remoteOpenAIBackend: ModelBackend = {
  apiVersion: MODEL_BACKEND_API_VERSION,
  name: 'remote-openai',
  capabilities: { batching: true, datatypes: ['BYTES', 'FP32'], devices: ['cpu'], describesModel: true },
  load: loadRemoteOpenAI,
};

function loadRemoteOpenAI(request: LoadRequest): Promise<LoadedModel> {
  const remote = remoteSettings(request);
  const { config } = request;
  const batching = config.max_batch_size > 0;
  const inputName = config.openai?.embedding?.input ?? config.inputs[0]?.name ?? 'text';
  const outputName = config.openai?.embedding?.output ?? config.outputs[0]?.name ?? 'embedding';
  // Shapes leave out the batch dimension when the model batches (model-config.ts).
  const input: TensorSpec = {
    name: inputName,
    datatype: 'BYTES',
    shape: config.inputs.find((s) => s.name === inputName)?.shape ?? (batching ? [1] : [-1]),
  };
  const output: TensorSpec = {
    name: outputName,
    datatype: 'FP32',
    shape: config.outputs.find((s) => s.name === outputName)?.shape ?? (batching ? [-1] : [-1, -1]),
  };
  return Promise.resolve({
    inputs: [input],
    outputs: [output],
    createInstance: () =>
      Promise.resolve({
        execute: (execute) => embed(remote, outputName, execute),
        close: () => Promise.resolve(),
      }),
    unload: () => Promise.resolve(),
  });
}

async function embed(remote: RemoteSettings, outputName: string, request: ExecuteRequest): Promise<Tensor[]> {
  const input = request.inputs[0];
  if (input?.datatype !== 'BYTES') {
    throw new StrataError('INVALID_ARGUMENT', 'an embedding model takes one BYTES input: the texts to embed');
  }
  const rows = input.shape[0] ?? 0;
  if (input.shape.length > 2 || input.data.length !== rows) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `input '${input.name}' has shape ${shapeText(input.shape)}; send one text per row, shape [n] or [n, 1]`,
    );
  }
  if (rows === 0) return [{ name: outputName, datatype: 'FP32', shape: [0, 0], data: new Float32Array(0) }];

  const post = {
    server: remote.server,
    path: '/v1/embeddings',
    method: 'POST' as const,
    body: JSON.stringify({ model: remote.model, input: input.data, encoding_format: 'float' }),
    apiKey: remote.apiKey,
    signal: AbortSignal.timeout(remote.timeoutMs),
    timeoutMs: remote.timeoutMs,
  };
  const answer = await remoteJson(await fetchRemote(post), post);
  const vectors = readEmbeddings(answer, rows, remote.server);
  const dim = vectors[0]?.length ?? 0;
  const data = new Float32Array(rows * dim);
  vectors.forEach((v, i) => {
    data.set(v, i * dim);
  });
  return [{ name: outputName, datatype: 'FP32', shape: [rows, dim], data }];
}

/** `data[].embedding` by `index`, all of one length; a base64 string is decoded as OpenAI sends it. */
function readEmbeddings(answer: unknown, rows: number, server: string): Float32Array[] {
  const fail = (problem: string): never => {
    throw new StrataError('MODEL_EXECUTION_FAILED', `the embeddings from ${server} ${problem}`);
  };
  const list = (answer as Record<string, unknown> | null)?.['data'];
  if (!Array.isArray(list)) return fail("have no 'data' list");
  if (list.length !== rows) return fail(`number ${String(list.length)}, for ${String(rows)} texts`);
  const vectors = new Array<Float32Array | undefined>(rows);
  list.forEach((item: unknown, position) => {
    const { index = position, embedding } = (item ?? {}) as Record<string, unknown>;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= rows || vectors[index])
      fail(`have an invalid or repeated index at position ${String(position)}`);
    let vector: Float32Array | undefined;
    if (typeof embedding === 'string') {
      const bytes = Buffer.from(embedding, 'base64');
      vector = new Float32Array(bytes.length / 4);
      for (let i = 0; i < vector.length; i++) vector[i] = bytes.readFloatLE(i * 4);
    } else if (Array.isArray(embedding) && embedding.every((x) => typeof x === 'number')) {
      vector = Float32Array.from(embedding);
    } else {
      fail(`have no numeric 'embedding' at position ${String(position)}`);
    }
    vectors[index as number] = vector;
  });
  const dim = vectors[0]?.length ?? 0;
  return vectors.map((v) => (v?.length === dim ? v : fail('differ in length')));
}
