/**
 * The OpenAI-compatible API through the official `openai` client, unchanged: if these pass,
 * applications written for OpenAI work against Strata. Embeddings come from a TypeScript handler
 * model and from a remote OpenAI-compatible server (the `remote-openai` backend); chat is
 * forwarded to that server, a real HTTP fixture (test/fixtures/openai-upstream.ts).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import type { Platform } from '../src/platform/index.js';
import {
  deadUrl,
  startOpenAIUpstream,
  streamedWords,
  upstreamEmbedding,
  type OpenAIUpstream,
} from './fixtures/openai-upstream.js';
import { writeModel } from './support/model-repository.js';
import { startPlatform, tempDataDir } from './support/platform.js';

/** The handler: lower-cases, splits into words, hashes each word into one of 16 buckets, normalises. */
const handlerSource = `
export function embedText(text) {
  const vector = new Float32Array(16);
  for (const word of text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)) {
    let h = 2166136261;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619) >>> 0;
    vector[h % 16] += 1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((x) => x / norm);
}
export default {
  execute([input]) {
    const rows = input.shape[0];
    const data = new Float32Array(rows * 16);
    for (let i = 0; i < rows; i++) data.set(embedText(input.data[i]), i * 16);
    return [{ name: 'embedding', datatype: 'FP32', shape: [rows, 16], data }];
  },
};
`;

let platform: Platform;
let upstream: OpenAIUpstream;
let client: OpenAI;
let embedText: (text: string) => Float32Array;

before(async () => {
  upstream = await startOpenAIUpstream();
  const dataDir = tempDataDir('openai');
  const models = join(dataDir, 'models');
  const embedding = { input: 'text', output: 'embedding' };
  await writeModel(
    models,
    'hash-embedder',
    {
      backend: 'typescript',
      max_batch_size: 8,
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [1] }],
      outputs: [{ name: 'embedding', datatype: 'FP32', shape: [16] }],
      openai: { embedding },
    },
    { 1: { 'model.js': handlerSource } },
  );
  const remoteModel = async (
    name: string,
    remote: string,
    openai: object,
    extra: object = {},
  ): Promise<void> => {
    const config = {
      backend: 'remote-openai',
      remote: {
        url: upstream.url,
        model: remote,
        api_key_env: 'UPSTREAM_API_KEY',
        timeout_ms: 5000,
        ...extra,
      },
      openai,
    };
    await writeModel(models, name, config, { 1: {} });
  };
  await remoteModel('chat', 'upstream-chat', { chat: true });
  await remoteModel('chat-rejecting', 'rejecting', { chat: true });
  await remoteModel('chat-wrong-key', 'wrong-key', { chat: true });
  await remoteModel('chat-broken', 'broken', { chat: true });
  await remoteModel('chat-down', 'upstream-chat', { chat: true }, { url: await deadUrl() });
  await remoteModel('chat-slow', 'slow', { chat: true }, { timeout_ms: 200 });
  await remoteModel('remote-embedder', 'upstream-embedder', { embedding });
  ({ embedText } = (await import(pathToFileURL(join(models, 'hash-embedder', '1', 'model.js')).href)) as {
    embedText: (text: string) => Float32Array;
  });

  let url: string;
  ({ platform, url } = await startPlatform(dataDir, ['all'], {}, { UPSTREAM_API_KEY: 'sk-upstream' }));
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
});

after(async () => {
  await platform.shutdown();
  await upstream.close();
});

/** The OpenAI error an SDK call rejected with. */
async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof OpenAI.APIError, `expected an APIError, got ${String(error)}`);
    return error;
  }
  assert.fail('the call succeeded');
}

const close = (actual: readonly number[], expected: ArrayLike<number>): void => {
  assert.equal(actual.length, expected.length);
  actual.forEach((x, i) => {
    assert.ok(
      Math.abs(x - (expected[i] ?? NaN)) < 1e-6,
      `element ${String(i)}: ${String(x)} vs ${String(expected[i])}`,
    );
  });
};

describe('OpenAI-compatible API: models', () => {
  it('lists the models configured for the OpenAI API', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) {
      assert.equal(model.object, 'model');
      assert.equal(model.owned_by, 'strata');
      assert.equal(typeof model.created, 'number');
      ids.push(model.id);
    }
    assert.deepEqual(ids.sort(), [
      'chat',
      'chat-broken',
      'chat-down',
      'chat-rejecting',
      'chat-slow',
      'chat-wrong-key',
      'hash-embedder',
      'remote-embedder',
    ]);
    const one = await client.models.retrieve('hash-embedder');
    assert.equal(one.id, 'hash-embedder');
  });

  it('answers an unknown model with 404 in OpenAI error shape', async () => {
    const error = await apiError(client.models.retrieve('nope'));
    assert.equal(error.status, 404);
    assert.equal(error.code, 'NOT_FOUND');
    assert.match(error.message, /model 'nope' is not served through the OpenAI API/);
  });
});

describe('OpenAI-compatible API: embeddings', () => {
  it('embeds one string and an array, as floats and as base64', async () => {
    const one = await client.embeddings.create({
      model: 'hash-embedder',
      input: 'Hello World',
      encoding_format: 'float',
    });
    assert.equal(one.object, 'list');
    assert.equal(one.model, 'hash-embedder');
    assert.equal(one.data.length, 1);
    assert.equal(one.data[0]?.object, 'embedding');
    assert.equal(one.data[0].index, 0);
    close(one.data[0].embedding, embedText('hello world'));
    assert.ok(one.usage.prompt_tokens > 0);
    assert.equal(one.usage.total_tokens, one.usage.prompt_tokens);

    const texts = ['the quick brown fox', 'JUMPS over', 'the lazy dog', 'a', 'b', 'c', 'd', 'e', 'f', 'g'];
    for (const encoding_format of ['float', 'base64'] as const) {
      const many = await client.embeddings.create({ model: 'hash-embedder', input: texts, encoding_format });
      assert.deepEqual(
        many.data.map((d) => d.index),
        texts.map((_, i) => i),
      );
      if (encoding_format === 'float') {
        many.data.forEach((d, i) => {
          close(d.embedding, embedText(texts[i] ?? ''));
        });
      } else {
        // The SDK hands back the base64 string it was asked for; decode it as OpenAI documents.
        many.data.forEach((d, i) => {
          const bytes = Buffer.from(d.embedding as unknown as string, 'base64');
          const floats = Array.from({ length: bytes.length / 4 }, (_, k) => bytes.readFloatLE(k * 4));
          assert.deepEqual(floats, Array.from(embedText(texts[i] ?? '')));
        });
      }
    }
  });

  it('decodes base64 by default, as the SDK requests it when no format is given', async () => {
    const result = await client.embeddings.create({
      model: 'hash-embedder',
      input: ['Strata serves models'],
    });
    assert.deepEqual(result.data[0]?.embedding, Array.from(embedText('strata serves models')));
  });

  it('embeds through a remote OpenAI-compatible server', async () => {
    const texts = ['banana', 'kiwi', 'apple pie'];
    const result = await client.embeddings.create({
      model: 'remote-embedder',
      input: texts,
      encoding_format: 'float',
    });
    assert.deepEqual(
      result.data.map((d) => d.embedding),
      texts.map(upstreamEmbedding),
    );
    const call = upstream.calls.findLast((c) => c.path === '/v1/embeddings');
    assert.equal(call?.body['model'], 'upstream-embedder');
    assert.equal(call.authorization, 'Bearer sk-upstream');
  });

  it('refuses bad input with 400 and names the field', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ model: 'hash-embedder', input: [] }, 'input', /empty array/],
      [{ model: 'hash-embedder', input: ['ok', 3] }, 'input', /token ids/],
      [{ model: 'hash-embedder', input: [{ text: 'x' }] }, 'input', /'input\[0\]' must be a string/],
      [
        { model: 'hash-embedder', input: 'x', encoding_format: 'int8' },
        'encoding_format',
        /'float' or 'base64'/,
      ],
      [
        { model: 'hash-embedder', input: 'x', dimensions: 8 },
        'dimensions',
        /returns 16-dimensional embeddings/,
      ],
    ];
    for (const [body, param, message] of cases) {
      const error = await apiError(client.post('/embeddings', { body }));
      assert.equal(error.status, 400, JSON.stringify(body));
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.equal(error.param, param);
      assert.equal(error.type, 'invalid_request_error');
      assert.match(error.message, message);
    }
    const same = await client.embeddings.create({ model: 'hash-embedder', input: 'x', dimensions: 16 });
    assert.equal(same.data.length, 1);
  });

  it('answers an unknown model with 404 and a model without embeddings with 400', async () => {
    const missing = await apiError(client.embeddings.create({ model: 'nope', input: 'x' }));
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'NOT_FOUND');
    const chat = await apiError(client.embeddings.create({ model: 'chat', input: 'x' }));
    assert.equal(chat.status, 400);
    assert.match(chat.message, /not an embedding model/);
  });
});

describe('OpenAI-compatible API: chat completions', () => {
  const messages = [{ role: 'user' as const, content: 'ping' }];

  it('forwards a chat completion with the remote model name and key', async () => {
    const completion = await client.chat.completions.create({ model: 'chat', messages, temperature: 0.2 });
    assert.equal(completion.choices[0]?.message.content, 'echo: ping');
    assert.equal(completion.model, 'upstream-chat');
    const call = upstream.calls.findLast((c) => c.path === '/v1/chat/completions');
    assert.equal(call?.authorization, 'Bearer sk-upstream', 'the upstream key, not the client key');
    assert.deepEqual(call.body, { model: 'upstream-chat', messages, temperature: 0.2 });
  });

  it('streams chunks one by one as the upstream sends them', async () => {
    const before = upstream.releasedByClient.length;
    const stream = await client.chat.completions.create({ model: 'chat', messages, stream: true });
    const words: string[] = [];
    for await (const chunk of stream) {
      words.push(chunk.choices[0]?.delta.content ?? '');
      // The upstream writes its next chunk only now: a buffering proxy would wait forever.
      upstream.release();
    }
    assert.deepEqual(words, streamedWords);
    assert.deepEqual(upstream.releasedByClient.slice(before), [true, true, true]);
  });

  it('cancels the upstream stream when the client goes away', async () => {
    const aborted = upstream.aborted;
    const stream = await client.chat.completions.create({ model: 'chat', messages, stream: true });
    for await (const chunk of stream) {
      assert.equal(chunk.choices[0]?.delta.content, streamedWords[0]);
      break; // the SDK aborts the request
    }
    const deadline = Date.now() + 3000;
    while (upstream.aborted === aborted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(upstream.aborted, aborted + 1);
  });

  it('ends a stream that the upstream drops with an error event', async () => {
    const stream = await client.chat.completions.create({ model: 'chat-broken', messages, stream: true });
    const error = await apiError(
      (async () => {
        for await (const chunk of stream) {
          assert.equal(chunk.choices[0]?.delta.content, streamedWords[0]);
          upstream.release();
        }
      })(),
    );
    assert.equal(error.code, 'UNAVAILABLE');
    assert.match(error.message, /the remote model server .* broke off its answer/);
  });

  it('answers 504 DEADLINE_EXCEEDED when the upstream does not answer in time', async () => {
    const error = await apiError(client.chat.completions.create({ model: 'chat-slow', messages }));
    assert.equal(error.status, 504);
    assert.equal(error.code, 'DEADLINE_EXCEEDED');
    assert.match(error.message, /did not answer within 200 ms/);
  });

  it("passes the upstream's error status and body back", async () => {
    const error = await apiError(client.chat.completions.create({ model: 'chat-rejecting', messages }));
    assert.equal(error.status, 400);
    assert.equal(error.message, '400 upstream says no');
    assert.equal(error.param, 'messages');
  });

  it("answers 500 MODEL_EXECUTION_FAILED, not 401, when the upstream refuses Strata's own key", async () => {
    const error = await apiError(client.chat.completions.create({ model: 'chat-wrong-key', messages }));
    assert.equal(error.status, 500);
    assert.equal(error.code, 'MODEL_EXECUTION_FAILED');
    assert.match(error.message, /invalid api key; check the API key .* remote\.api_key_env/);
  });

  it('answers 503 UNAVAILABLE when the upstream is down', async () => {
    for (const stream of [false, true]) {
      const error = await apiError(client.chat.completions.create({ model: 'chat-down', messages, stream }));
      assert.equal(error.status, 503);
      assert.equal(error.code, 'UNAVAILABLE');
      assert.equal(error.type, 'server_error');
      assert.match(
        error.message,
        /cannot reach the remote model server http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
      );
    }
  });

  it('refuses chat for a model without it, and for an unknown model', async () => {
    const embedder = await apiError(client.chat.completions.create({ model: 'hash-embedder', messages }));
    assert.equal(embedder.status, 400);
    assert.match(embedder.message, /does not serve chat completions/);
    const missing = await apiError(client.chat.completions.create({ model: 'nope', messages }));
    assert.equal(missing.status, 404);
  });
});
