import { StrataError } from '../kernel/index.js';
import { fromHalf } from './half.js';
import type { ModelConfig } from './model-config.js';
import type { ChatTarget, InferRequest, InferResponse, OpenAIModel } from './procedures.js';
import type { Datatype, Tensor } from './tensor.js';

/**
 * What the OpenAI-compatible API sees of the loaded models: which serve embeddings or chat
 * (`openai` in a model's config), embeddings computed through the ordinary infer path, and where
 * a chat completion is forwarded. The service owns the models; these read them.
 */
export interface OpenAIServedModel {
  readonly name: string;
  readonly config: ModelConfig;
  /** When the model was loaded, in seconds since the epoch (OpenAI's `created`). */
  readonly loadedAt: number;
}

export function openaiModels(models: Iterable<OpenAIServedModel>): OpenAIModel[] {
  const listed: OpenAIModel[] = [];
  for (const model of models) {
    const openai = model.config.openai;
    if (openai === undefined) continue;
    const kinds: ('embedding' | 'chat')[] = [];
    if (openai.embedding !== undefined) kinds.push('embedding');
    if (openai.chat) kinds.push('chat');
    if (kinds.length > 0) listed.push({ id: model.name, created: model.loadedAt, kinds });
  }
  return listed.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Embeds `texts` with a model configured with `openai.embedding`: its input takes the texts as
 * BYTES, in requests of at most max_batch_size rows, and its output gives one row per text.
 */
export async function embed(
  model: OpenAIServedModel,
  texts: readonly string[],
  infer: (request: InferRequest) => Promise<InferResponse>,
): Promise<{ embeddings: Float32Array[]; datatype: Datatype }> {
  const { name, config } = model;
  const spec = config.openai?.embedding;
  if (spec === undefined) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `model '${name}' is not an embedding model (set openai.embedding in its config)`,
    );
  }
  const batching = config.max_batch_size > 0;
  const chunk = batching ? config.max_batch_size : texts.length;
  const embeddings: Float32Array[] = [];
  let datatype: Datatype = 'FP32';
  for (let from = 0; from < texts.length; from += chunk) {
    const part = texts.slice(from, from + chunk);
    const response = await infer({
      model: name,
      inputs: [
        {
          name: spec.input,
          datatype: 'BYTES',
          shape: batching ? [part.length, 1] : [part.length],
          data: part,
        },
      ],
      outputs: [spec.output],
    });
    const output = response.outputs.find((o) => o.name === spec.output);
    if (output === undefined || Array.isArray(output.data) || output.shape[0] !== part.length) {
      throw new StrataError(
        'MODEL_EXECUTION_FAILED',
        `model '${name}' returned no [${String(part.length)}, dim] '${spec.output}' output`,
      );
    }
    datatype = output.datatype;
    const dim = output.data.length / part.length;
    const values = embeddingValues(output);
    for (let i = 0; i < part.length; i++) embeddings.push(values.subarray(i * dim, (i + 1) * dim));
  }
  return { embeddings, datatype };
}

/** Where a chat completion for `model` goes: its remote OpenAI-compatible server. */
export function chatTarget(
  model: OpenAIServedModel,
  secrets: (name: string) => string | undefined,
): ChatTarget {
  const remote = model.config.remote;
  if (model.config.openai?.chat !== true || remote === undefined) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `model '${model.name}' does not serve chat completions (set openai.chat: true and a remote OpenAI-compatible url)`,
    );
  }
  return {
    url: remote.url,
    model: remote.model ?? model.name,
    apiKey: remote.api_key_env === undefined ? undefined : secrets(remote.api_key_env),
    timeoutMs: remote.timeout_ms,
  };
}

// Embeddings leave as float32 whatever the model computes in; FP16 arrives as raw half bits.
function embeddingValues(output: Tensor): Float32Array {
  if (output.datatype === 'FP16') return Float32Array.from(output.data as Uint16Array, fromHalf);
  if (output.datatype === 'FP32' || output.datatype === 'FP64')
    return Float32Array.from(output.data as ArrayLike<number>);
  throw new StrataError(
    'MODEL_EXECUTION_FAILED',
    `output '${output.name}' is ${output.datatype}; an embedding output must be FP16, FP32 or FP64`,
  );
}
