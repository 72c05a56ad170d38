import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { StrataError, createLogger } from '../../../kernel/index.js';
import { createMetricsRegistry } from '../../../observability/index.js';
import type { ServingProcedures } from '../../../serving/index.js';
import { createHttpServer } from '../http-server.js';
import { registerOpenAIRoutes } from './routes.js';
import { testServerConfig } from '../../../../test/support/server-config.js';

/** Procedures that answer from fixed data, or fail as the model name says. */
const serving = {
  openaiModels: () => [{ id: 'e5', created: 1_700_000_000, kinds: ['embedding'] as const }],
  embed: (model: string, texts: readonly string[]) => {
    if (model === 'busy') {
      return Promise.reject(
        new StrataError('OVERLOADED', "model 'busy' has a full queue", {
          details: { retryAfterSeconds: 1.2 },
        }),
      );
    }
    if (model === 'crashing') return Promise.reject(new Error('secret path /srv/models/crashing'));
    // Values whose bytes are easy to check: -0, 1, and a float32 that is not a double's round value.
    const vector = Float32Array.of(-0, 1, 0.1);
    return Promise.resolve({ embeddings: texts.map(() => vector), datatype: 'FP32' as const });
  },
} as unknown as ServingProcedures;

let app: FastifyInstance;

before(async () => {
  app = await createHttpServer({
    config: testServerConfig({ bodyLimitBytes: 1024 * 1024, grpcMaxMessageBytes: 1024 * 1024 }),
    logger: createLogger('silent'),
    registry: createMetricsRegistry(),
    readiness: () => [],
    version: 'test',
  });
  await registerOpenAIRoutes(app, serving);
  await app.ready();
});

after(async () => {
  await app.close();
});

const post = (body: unknown) =>
  app.inject({ method: 'POST', url: '/v1/embeddings', payload: body as object });

describe('OpenAI routes', () => {
  it('writes base64 embeddings as little-endian float32 bytes', async () => {
    const response = await post({ model: 'e5', input: 'x', encoding_format: 'base64' });
    assert.equal(response.statusCode, 200);
    const body = response.json<{ data: { embedding: string }[] }>();
    const expected = Buffer.alloc(12);
    expected.writeFloatLE(-0, 0);
    expected.writeFloatLE(1, 4);
    expected.writeFloatLE(0.1, 8);
    assert.equal(body.data[0]?.embedding, expected.toString('base64'));
  });

  it('sends Retry-After with a retryable error in OpenAI shape', async () => {
    const response = await post({ model: 'busy', input: ['a'] });
    assert.equal(response.statusCode, 429);
    assert.equal(response.headers['retry-after'], '2');
    assert.deepEqual(response.json(), {
      error: {
        message: "model 'busy' has a full queue",
        type: 'rate_limit_error',
        param: null,
        code: 'OVERLOADED',
      },
    });
  });

  it('keeps the message of an unexpected error out of the response', async () => {
    const response = await post({ model: 'crashing', input: ['a'] });
    assert.equal(response.statusCode, 500);
    const { error } = response.json<{ error: { message: string; code: string; type: string } }>();
    assert.equal(error.code, 'INTERNAL');
    assert.equal(error.type, 'server_error');
    assert.doesNotMatch(error.message, /srv/);
  });

  it('answers malformed JSON with 400 MALFORMED_REQUEST in OpenAI shape', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      payload: '{"model":',
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'MALFORMED_REQUEST');
  });

  it('refuses a body that is not an object', async () => {
    const response = await post(['e5']);
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ error: { param: string } }>().error.param, 'body');
  });
});
