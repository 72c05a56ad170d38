import { endianness } from 'node:os';
import { StrataError } from '../../../kernel/index.js';
import type { ServingProcedures } from '../../../serving/index.js';

/** OpenAI's limit on inputs per request; the SDKs split larger jobs themselves. */
const maxInputs = 2048;

interface EmbeddingsRequest {
  readonly model: string;
  readonly texts: string[];
  readonly encoding: 'float' | 'base64';
  readonly dimensions: number | undefined;
}

export interface EmbeddingsResponse {
  readonly object: 'list';
  readonly data: { object: 'embedding'; index: number; embedding: number[] | string }[];
  readonly model: string;
  readonly usage: { prompt_tokens: number; total_tokens: number };
}

const invalid = (param: string, message: string): StrataError =>
  new StrataError('INVALID_ARGUMENT', message, { details: { param } });

/** `POST /v1/embeddings` (OpenAI API reference, "Create embeddings"). */
export async function createEmbeddings(
  serving: ServingProcedures,
  body: unknown,
): Promise<EmbeddingsResponse> {
  const request = parseRequest(body);
  const { embeddings } = await serving.embed(request.model, request.texts);
  const dim = embeddings[0]?.length ?? 0;
  if (request.dimensions !== undefined && request.dimensions !== dim) {
    throw invalid(
      'dimensions',
      `model '${request.model}' returns ${String(dim)}-dimensional embeddings and cannot shorten them; omit 'dimensions' or set it to ${String(dim)}`,
    );
  }
  const tokens = estimateTokens(request.texts);
  return {
    object: 'list',
    data: embeddings.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: request.encoding === 'base64' ? toBase64(vector) : Array.from(vector),
    })),
    model: request.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

function parseRequest(body: unknown): EmbeddingsRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('body', 'the body must be a JSON object {"model", "input"}');
  }
  const {
    model,
    input,
    encoding_format: encoding = 'float',
    dimensions,
    user,
  } = body as Record<string, unknown>;
  if (typeof model !== 'string' || model === '') {
    throw invalid('model', "'model' must be the name of an embedding model; GET /v1/models lists them");
  }
  if (input === undefined) throw invalid('input', "'input' is required: a string or an array of strings");
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts)) throw invalid('input', "'input' must be a string or an array of strings");
  if (texts.length === 0) throw invalid('input', "'input' is an empty array; send at least one text");
  if (texts.length > maxInputs) {
    throw invalid(
      'input',
      `'input' has ${String(texts.length)} texts; send at most ${String(maxInputs)} per request`,
    );
  }
  texts.forEach((text: unknown, i) => {
    if (typeof text === 'number' || Array.isArray(text)) {
      throw invalid(
        'input',
        "'input' holds token ids; this server embeds text only: send the texts as strings",
      );
    }
    if (typeof text !== 'string') throw invalid('input', `'input[${String(i)}]' must be a string`);
    // As OpenAI does: an empty text has no embedding.
    if (text === '') throw invalid('input', `'input[${String(i)}]' is an empty string; send non-empty text`);
  });
  if (encoding !== 'float' && encoding !== 'base64') {
    throw invalid('encoding_format', "'encoding_format' must be 'float' or 'base64'");
  }
  if (
    dimensions !== undefined &&
    (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1)
  ) {
    throw invalid('dimensions', "'dimensions' must be a positive integer");
  }
  if (user !== undefined && typeof user !== 'string') throw invalid('user', "'user' must be a string");
  return { model, texts: texts as string[], encoding, dimensions };
}

const littleEndian = endianness() === 'LE';

/** The float32 values' little-endian bytes, base64: what the OpenAI SDKs decode (they default to base64). */
function toBase64(vector: Float32Array): string {
  if (littleEndian)
    return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((x, i) => bytes.writeFloatLE(x, i * 4));
  return bytes.toString('base64');
}

/**
 * Tokens for `usage`. The gateway does not know the model's tokenizer, so this is OpenAI's rule
 * of thumb (about four characters per token), at least one per text: enough for quotas and cost
 * estimates, not for billing.
 */
function estimateTokens(texts: readonly string[]): number {
  let tokens = 0;
  for (const text of texts) tokens += Math.max(1, Math.ceil(text.length / 4));
  return tokens;
}
