import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { StrataError, createLogger } from '../../../kernel/index.js';
import { createMetricsRegistry } from '../../../observability/index.js';
import type {
  InferRequest,
  InferResponse,
  ModelMetadata,
  RepositoryEntry,
  ServingProcedures,
  Tensor,
} from '../../../serving/index.js';
import { datatypes } from '../../../serving/index.js';
import { createHttpServer } from '../http-server.js';
import { parseRequestJson } from './json.js';
import { registerInferenceRoutes } from './routes.js';

/** A temporary stand-in with the documented behaviour, until the real service is wired in. */
class FakeServing implements ServingProcedures {
  loaded = new Set(['identity']);
  readonly calls: InferRequest[] = [];

  #metadata(model: string, version?: number): ModelMetadata {
    if (model !== 'identity' || (version !== undefined && version !== 1 && version !== 2)) {
      throw new StrataError(
        'NOT_FOUND',
        `model '${model}'${version === undefined ? '' : ` version ${version}`} not found`,
      );
    }
    return {
      name: 'identity',
      versions: [1, 2],
      platform: 'typescript',
      inputs: datatypes.map((d) => ({ name: `in_${d}`, datatype: d, shape: [-1] })),
      outputs: datatypes.map((d) => ({ name: `out_${d}`, datatype: d, shape: [-1] })),
    };
  }
  async infer(request: InferRequest): Promise<InferResponse> {
    this.calls.push(request);
    const metadata = this.#metadata(request.model, request.version);
    if (!this.loaded.has(request.model))
      throw new StrataError('NOT_READY', 'not loaded', { details: { retryAfterSeconds: 2 } });
    for (const input of request.inputs) {
      const spec = metadata.inputs.find((s) => s.name === input.name);
      if (spec === undefined) throw new StrataError('INVALID_ARGUMENT', `unknown input '${input.name}'`);
      if (spec.datatype !== input.datatype)
        throw new StrataError(
          'INVALID_ARGUMENT',
          `input '${input.name}' has datatype ${input.datatype}; the model expects ${spec.datatype}`,
        );
    }
    const outputs: Tensor[] = request.inputs.map((t) => ({ ...t, name: t.name.replace('in_', 'out_') }));
    const wanted = request.outputs;
    return {
      model: request.model,
      version: request.version ?? 1,
      ...(request.id === undefined ? {} : { id: request.id }),
      outputs:
        wanted === undefined || wanted.length === 0
          ? outputs
          : outputs.filter((o) => wanted.includes(o.name)),
      cached: false,
    };
  }
  serverReady(): boolean {
    return true;
  }
  modelReady(model: string, version?: number): boolean {
    return model === 'identity' && this.loaded.has(model) && version !== 2;
  }
  modelMetadata(model: string, version?: number): ModelMetadata {
    return this.#metadata(model, version);
  }
  async repositoryIndex(options?: { readonly ready?: boolean }): Promise<RepositoryEntry[]> {
    const entries: RepositoryEntry[] = [
      {
        name: 'identity',
        version: 1,
        state: this.loaded.has('identity') ? 'READY' : 'UNAVAILABLE',
        reason: '',
      },
    ];
    return options?.ready === true ? entries.filter((e) => e.state === 'READY') : entries;
  }
  async load(model: string): Promise<void> {
    this.#metadata(model);
    this.loaded.add(model);
  }
  async unload(model: string): Promise<void> {
    this.#metadata(model);
    this.loaded.delete(model);
  }
  openaiModels(): never {
    throw new Error('unused');
  }
  embed(): never {
    throw new Error('unused');
  }
  chatTarget(): never {
    throw new Error('unused');
  }
}

let app: FastifyInstance;
let serving: FakeServing;

before(async () => {
  serving = new FakeServing();
  app = await createHttpServer({
    config: {
      host: '127.0.0.1',
      httpPort: 0,
      grpcPort: 0,
      bodyLimitBytes: 64 * 1024,
      grpcMaxMessageBytes: 1024 * 1024,
      shutdownGracePeriodMs: 1000,
    },
    logger: createLogger('silent'),
    registry: createMetricsRegistry(),
    readiness: () => [],
    version: '0.0.0-test',
  });
  await registerInferenceRoutes(app, serving, { version: '1.2.3' });
  await app.ready();
});

after(() => app.close());

/** A V2 error: the given status, `{"error", "code"}` and nothing else. */
function v2Error(response: LightMyRequestResponse, status: number, code: string, fragment?: string): string {
  assert.equal(response.statusCode, status, response.body);
  const body = response.json<{ error: string; code: string }>();
  assert.deepEqual(Object.keys(body).sort(), ['code', 'error']);
  assert.equal(body.code, code);
  if (fragment !== undefined) assert.ok(body.error.includes(fragment), body.error);
  return body.error;
}

function infer(url: string, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('Open Inference Protocol REST API', () => {
  it('answers server metadata and health', async () => {
    for (const url of ['/v2', '/v2/']) {
      const response = await app.inject({ url });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), {
        name: 'strata',
        version: '1.2.3',
        extensions: ['model_repository'],
      });
    }
    for (const url of ['/v2/health/live', '/v2/health/ready']) {
      const response = await app.inject({ url });
      assert.equal(response.statusCode, 200);
      assert.equal(response.body, '');
    }
  });

  it('documents the routes in /openapi.json', async () => {
    const paths = Object.keys((await app.inject({ url: '/openapi.json' })).json<{ paths: object }>().paths);
    for (const path of [
      '/v2/models/{model}/infer',
      '/v2/models/{model}/versions/{version}/ready',
      '/v2/repository/index',
    ]) {
      assert.ok(paths.includes(path), `${path} in ${paths.join(' ')}`);
    }
  });

  it('answers model readiness per version with 200 or 400 and an empty body', async () => {
    assert.equal((await app.inject({ url: '/v2/models/identity/ready' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/v2/models/identity/versions/1/ready' })).statusCode, 200);
    const notReady = await app.inject({ url: '/v2/models/identity/versions/2/ready' });
    assert.equal(notReady.statusCode, 400);
    assert.equal(notReady.body, '');
  });

  it('answers model metadata with versions as strings', async () => {
    const response = await app.inject({ url: '/v2/models/identity/versions/1' });
    assert.equal(response.statusCode, 200);
    const metadata = response.json<{ versions: unknown; inputs: unknown[] }>();
    assert.deepEqual(metadata.versions, ['1', '2']);
    assert.deepEqual(metadata.inputs[0], { name: 'in_BOOL', datatype: 'BOOL', shape: [-1] });
  });

  it('answers 404 in the V2 shape for an unknown model or version', async () => {
    v2Error(await app.inject({ url: '/v2/models/nope' }), 404, 'NOT_FOUND', "model 'nope'");
    v2Error(await app.inject({ url: '/v2/models/identity/versions/9' }), 404, 'NOT_FOUND');
    v2Error(await infer('/v2/models/nope/infer', { inputs: [] }), 404, 'NOT_FOUND');
    v2Error(await app.inject({ url: '/v2/nothing/here' }), 404, 'ROUTE_NOT_FOUND');
  });

  it('rejects a version that is not a positive integer', async () => {
    for (const version of ['0', 'x', '-1', '1.5', '99999999999999999999']) {
      v2Error(
        await app.inject({ url: `/v2/models/identity/versions/${version}` }),
        400,
        'INVALID_ARGUMENT',
        'positive integer',
      );
    }
  });

  it('infers every datatype, passing headers and the version through', async () => {
    const inputs = [
      { name: 'in_BOOL', datatype: 'BOOL', shape: [2], data: [true, false] },
      { name: 'in_UINT8', datatype: 'UINT8', shape: [2], data: [0, 255] },
      { name: 'in_UINT16', datatype: 'UINT16', shape: [2], data: [0, 65535] },
      { name: 'in_UINT32', datatype: 'UINT32', shape: [2], data: [0, 4294967295] },
      { name: 'in_UINT64', datatype: 'UINT64', shape: [2], data: [0, '18446744073709551615'] },
      { name: 'in_INT8', datatype: 'INT8', shape: [2], data: [-128, 127] },
      { name: 'in_INT16', datatype: 'INT16', shape: [2], data: [-32768, 32767] },
      { name: 'in_INT32', datatype: 'INT32', shape: [2], data: [[-2147483648], [2147483647]].flat() },
      { name: 'in_INT64', datatype: 'INT64', shape: [2], data: ['-9223372036854775808', 9007199254740991] },
      { name: 'in_FP16', datatype: 'FP16', shape: [2], data: [0.5, 'Infinity'] },
      { name: 'in_FP32', datatype: 'FP32', shape: [2], data: [1.5, 'NaN'] },
      { name: 'in_FP64', datatype: 'FP64', shape: [2], data: [0.1, -1e300] },
      { name: 'in_BYTES', datatype: 'BYTES', shape: [2], data: ['a', 'é'] },
    ];
    const response = await infer(
      '/v2/models/identity/versions/1/infer',
      { id: 'r1', parameters: { priority: 1 }, inputs },
      { 'X-Variant': 'b' },
    );
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-status'], 'strata; fwd=miss');
    const body = parseRequestJson(response.body) as Record<string, unknown>;
    assert.equal(body['model_name'], 'identity');
    assert.equal(body['model_version'], '1');
    assert.equal(body['id'], 'r1');
    const outputs = body['outputs'] as { name: string; data: unknown[] }[];
    const data = Object.fromEntries(outputs.map((o) => [o.name, o.data]));
    assert.deepEqual(data['out_UINT64'], [0, 18446744073709551615n]);
    assert.deepEqual(data['out_INT64'], [-9223372036854775808n, 9007199254740991]);
    assert.deepEqual(data['out_BOOL'], [true, false]);
    assert.deepEqual(data['out_FP16'], [0.5, 'Infinity']);
    assert.deepEqual(data['out_FP32'], [1.5, 'NaN']);
    assert.deepEqual(data['out_BYTES'], ['a', 'é']);
    const call = serving.calls.at(-1);
    assert.equal(call?.version, 1);
    assert.equal(call.headers?.['x-variant'], 'b');
    assert.deepEqual(call.parameters, { priority: 1 });
  });

  it('returns only the requested outputs', async () => {
    const response = await infer('/v2/models/identity/infer', {
      inputs: [
        { name: 'in_FP32', datatype: 'FP32', shape: [1, 2], data: [[1, 2]] },
        { name: 'in_INT8', datatype: 'INT8', shape: [1], data: [3] },
      ],
      outputs: [{ name: 'out_INT8', parameters: { binary_data: false } }],
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), {
      model_name: 'identity',
      model_version: '1',
      outputs: [{ name: 'out_INT8', datatype: 'INT8', shape: [1], data: [3] }],
    });
  });

  it('rejects malformed inputs with 400 naming the input', async () => {
    const url = '/v2/models/identity/infer';
    v2Error(
      await infer(url, { inputs: [{ name: 'in_FP32', datatype: 'FP32', shape: [3], data: [1, 2] }] }),
      400,
      'INVALID_ARGUMENT',
      "input 'in_FP32': has 2 elements",
    );
    v2Error(
      await infer(url, { inputs: [{ name: 'in_INT8', datatype: 'INT8', shape: [1], data: [300] }] }),
      400,
      'INVALID_ARGUMENT',
      'out of range for INT8',
    );
    v2Error(
      await infer(url, { inputs: [{ name: 'in_INT8', datatype: 'FP32', shape: [1], data: [3] }] }),
      400,
      'INVALID_ARGUMENT',
      'datatype',
    );
    v2Error(await infer(url, {}), 400, 'INVALID_ARGUMENT', '"inputs"');
    v2Error(
      await infer(url, {
        inputs: [
          { name: 'in_FP32', datatype: 'FP32', shape: [1], data: [1] },
          { name: 'in_FP32', datatype: 'FP32', shape: [1], data: [1] },
        ],
      }),
      400,
      'INVALID_ARGUMENT',
      'more than once',
    );
    v2Error(
      await infer(url, { inputs: [], outputs: [{ name: 'out_FP32', parameters: { binary_data: true } }] }),
      400,
      'INVALID_ARGUMENT',
      'binary output data',
    );
    v2Error(
      await infer(url, { inputs: [], parameters: { binary_data_output: true } }),
      400,
      'INVALID_ARGUMENT',
      'binary_data_output',
    );
    v2Error(await infer(url, { id: 7, inputs: [] }), 400, 'INVALID_ARGUMENT', '"id" must be a string');
  });

  it('rejects malformed JSON, binary bodies and compressed bodies', async () => {
    const url = '/v2/models/identity/infer';
    v2Error(await infer(url, '{"inputs": ['), 400, 'MALFORMED_REQUEST', 'not valid JSON');
    v2Error(await infer(url, '{"inputs": [], "x": 12345678901234567890'), 400, 'MALFORMED_REQUEST');
    v2Error(await infer(url, '', {}), 400, 'INVALID_ARGUMENT', 'JSON object');
    v2Error(
      await infer(url, '{"inputs": []}', { 'inference-header-content-length': '14' }),
      400,
      'INVALID_ARGUMENT',
      'binary tensor data extension',
    );
    v2Error(
      await infer(url, '{"inputs": []}', { 'content-encoding': 'gzip' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('reads a JSON body sent without a Content-Type, as tritonclient sends it', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v2/models/identity/infer',
      payload: JSON.stringify({ inputs: [{ name: 'in_INT8', datatype: 'INT8', shape: [1], data: [3] }] }),
    });
    assert.equal(response.statusCode, 200, response.body);
  });

  it('answers 413 in the V2 shape for an oversized body', async () => {
    const data = new Array(40_000).fill(1.25);
    v2Error(
      await infer('/v2/models/identity/infer', {
        inputs: [{ name: 'in_FP64', datatype: 'FP64', shape: [data.length], data }],
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('indexes, unloads and loads models', async () => {
    const index = async (body?: unknown) => {
      const response = await app.inject({
        method: 'POST',
        url: '/v2/repository/index',
        ...(body === undefined
          ? {}
          : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<unknown[]>();
    };
    assert.deepEqual(await index(), [{ name: 'identity', version: '1', state: 'READY', reason: '' }]);
    const unload = await app.inject({ method: 'POST', url: '/v2/repository/models/identity/unload' });
    assert.equal(unload.statusCode, 200);
    assert.deepEqual(await index({ ready: true }), []);
    assert.equal((await app.inject({ url: '/v2/models/identity/ready' })).statusCode, 400);
    const load = await app.inject({
      method: 'POST',
      url: '/v2/repository/models/identity/load',
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(load.statusCode, 200, load.body);
    assert.deepEqual(await index({ ready: true }), [
      { name: 'identity', version: '1', state: 'READY', reason: '' },
    ]);
    v2Error(await app.inject({ method: 'POST', url: '/v2/repository/models/nope/load' }), 404, 'NOT_FOUND');
    v2Error(
      await app.inject({ method: 'POST', url: '/v2/repository/index', payload: '{"ready": "yes"}' }),
      400,
      'INVALID_ARGUMENT',
    );
    v2Error(
      await app.inject({
        method: 'POST',
        url: '/v2/repository/models/identity/load',
        payload: '{"parameters": {"config": "{}"}}',
      }),
      400,
      'INVALID_ARGUMENT',
      "'config'",
    );
  });
});
