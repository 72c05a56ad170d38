/**
 * The /v2 routes through HTTP (Fastify inject) against the real serving service, with
 * TypeScript-handler models written into a temporary model repository.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import {
  identityHandler,
  scaleConfig,
  scaleHandler,
  startServing,
  writeModel,
} from '../../../../test/support/model-repository.js';
import { createLogger } from '../../../kernel/index.js';
import { createMetricsRegistry } from '../../../observability/index.js';
import { datatypes, parseRequestJson, type Datatype, type ServingModule } from '../../../serving/index.js';
import { createHttpServer } from '../http-server.js';
import { registerInferenceRoutes } from './routes.js';
import { testServerConfig } from '../../../../test/support/server-config.js';

const identityConfig = {
  backend: 'typescript',
  max_batch_size: 0,
  version_policy: { all: {} },
  inputs: datatypes.map((d) => ({ name: `in_${d}`, datatype: d, shape: [-1] })),
  outputs: datatypes.map((d) => ({ name: `out_${d}`, datatype: d, shape: [-1] })),
};

/** One input per datatype, two elements each, covering each datatype's extremes. */
const everyDatatype: Readonly<Record<Datatype, readonly [unknown, unknown]>> = {
  BOOL: [true, false],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, '18446744073709551615'],
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: ['-9223372036854775808', 9007199254740993n],
  FP16: [0.1, 'Infinity'],
  FP32: [1.5, 'NaN'],
  FP64: [0.1, -1e300],
  BYTES: ['a', 'é "quoted"'],
};

/** What comes back for everyDatatype, read with the exact parser as a careful client would. */
const everyDatatypeBack: Readonly<Record<Datatype, readonly unknown[]>> = {
  ...everyDatatype,
  UINT64: [0, 18446744073709551615n],
  INT64: [-9223372036854775808n, 9007199254740993n],
  FP16: [0.0999755859375, 'Infinity'],
};

function allInputs(exclude: readonly Datatype[] = []) {
  return datatypes
    .filter((d) => !exclude.includes(d))
    .map((d) => ({ name: `in_${d}`, datatype: d, shape: [2], data: everyDatatype[d] }));
}

/** A JSON body with bigint elements written as exact integer literals. */
function jsonBody(body: unknown): string {
  const marked = JSON.stringify(body, (_key, value: unknown) =>
    typeof value === 'bigint' ? `\u0000${value.toString()}` : value,
  );
  return marked.replace(/"\\u0000(-?\d+)"/g, '$1');
}

let repo: string;
let serving: ServingModule;
let app: FastifyInstance;

before(async () => {
  repo = await mkdtemp(join(tmpdir(), 'strata-v2-'));
  await writeModel(repo, 'identity', identityConfig, {
    1: { 'model.js': identityHandler },
    2: { 'model.js': identityHandler },
  });
  await writeModel(repo, 'scale', scaleConfig(), { 1: { 'model.js': scaleHandler('v2-scale', 3) } });
  await writeModel(
    repo,
    'ab',
    scaleConfig({
      version_policy: { all: {} },
      traffic: { ab: { header: 'x-variant', versions: { a: 1, b: 2 } } },
    }),
    { 1: { 'model.js': scaleHandler('v2-ab-1', 1) }, 2: { 'model.js': scaleHandler('v2-ab-2', 2) } },
  );
  await writeModel(
    repo,
    'single',
    scaleConfig({
      max_batch_size: 0,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, -1] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [1, -1] }],
      queue: { max_size: 1 },
    }),
    { 1: { 'model.js': scaleHandler('v2-single', 1) } },
  );
  await writeModel(repo, 'spare', scaleConfig(), { 1: { 'model.js': scaleHandler('v2-spare', 1) } });
  ({ module: serving } = await startServing(repo, {
    startupModels: ['identity', 'scale', 'ab', 'single'],
    responseCacheBytes: 0,
  }));
  app = await createHttpServer({
    config: testServerConfig({ bodyLimitBytes: 64 * 1024, grpcMaxMessageBytes: 1024 * 1024 }),
    logger: createLogger('silent'),
    registry: createMetricsRegistry(),
    readiness: () => [],
    version: '0.0.0-test',
  });
  await registerInferenceRoutes(app, serving.service, { version: '1.2.3' });
  await app.ready();
});

after(async () => {
  await app.close();
  await serving.stop();
  await rm(repo, { recursive: true, force: true });
});

/** A V2 error: the given status and `{"error", "code"}`, nothing else. Returns the message. */
function v2Error(response: LightMyRequestResponse, status: number, code: string, fragment?: string): string {
  assert.equal(response.statusCode, status, response.body);
  const body = response.json<{ error: string; code: string }>();
  assert.deepEqual(Object.keys(body).sort(), ['code', 'error']);
  assert.equal(body.code, code, body.error);
  if (fragment !== undefined) assert.ok(body.error.includes(fragment), body.error);
  return body.error;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : jsonBody(body),
  });
}

interface V2Response {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: { name: string; datatype: string; shape: number[]; data: unknown[] }[];
}

/** The response body, read with the exact parser so that 64-bit integers keep their digits. */
function v2Body(response: LightMyRequestResponse): V2Response {
  assert.equal(response.statusCode, 200, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  return parseRequestJson(response.body) as V2Response;
}

describe('Open Inference Protocol REST API', () => {
  describe('server', () => {
    it('answers server metadata at /v2 and /v2/', async () => {
      for (const url of ['/v2', '/v2/']) {
        const response = await app.inject({ url });
        assert.equal(response.statusCode, 200);
        assert.deepEqual(response.json(), {
          name: 'strata',
          version: '1.2.3',
          extensions: ['model_repository', 'binary_tensor_data'],
        });
      }
    });

    it('answers live and ready with 200 and an empty body', async () => {
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

    it('answers unknown /v2 paths with 404 in the V2 shape', async () => {
      v2Error(await app.inject({ url: '/v2/nothing/here' }), 404, 'ROUTE_NOT_FOUND');
    });
  });

  describe('models', () => {
    it('answers readiness per version: 200 when ready, 400 with an empty body otherwise', async () => {
      for (const url of [
        '/v2/models/identity/ready',
        '/v2/models/identity/versions/1/ready',
        '/v2/models/identity/versions/2/ready',
      ]) {
        const response = await app.inject({ url });
        assert.equal(response.statusCode, 200, url);
        assert.equal(response.body, '');
      }
      for (const url of [
        '/v2/models/identity/versions/3/ready',
        '/v2/models/spare/ready',
        '/v2/models/nope/ready',
      ]) {
        const response = await app.inject({ url });
        assert.equal(response.statusCode, 400, url);
        assert.equal(response.body, '');
      }
    });

    it('answers metadata with versions as strings and the batch dimension as -1', async () => {
      const identity = await app.inject({ url: '/v2/models/identity/versions/2' });
      assert.equal(identity.statusCode, 200, identity.body);
      const metadata = identity.json<{
        name: string;
        versions: unknown;
        platform: string;
        inputs: unknown[];
      }>();
      assert.equal(metadata.name, 'identity');
      assert.deepEqual(metadata.versions, ['1', '2']);
      assert.equal(metadata.platform, 'typescript');
      assert.deepEqual(metadata.inputs[0], { name: 'in_BOOL', datatype: 'BOOL', shape: [-1] });
      const scale = await app.inject({ url: '/v2/models/scale' });
      assert.deepEqual(scale.json(), {
        name: 'scale',
        versions: ['1'],
        platform: 'typescript',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
        outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, -1] }],
      });
    });

    it('answers 404 in the V2 shape for an unknown model or version', async () => {
      v2Error(await app.inject({ url: '/v2/models/nope' }), 404, 'NOT_FOUND', "model 'nope'");
      v2Error(await app.inject({ url: '/v2/models/identity/versions/3' }), 404, 'NOT_FOUND', 'version 3');
      v2Error(await post('/v2/models/nope/infer', { inputs: [] }), 404, 'NOT_FOUND');
      v2Error(await post('/v2/models/identity/versions/3/infer', { inputs: allInputs() }), 404, 'NOT_FOUND');
    });

    it('rejects a version that is not a positive integer with 400', async () => {
      for (const version of ['0', 'x', '-1', '1.5', '99999999999999999999']) {
        v2Error(
          await app.inject({ url: `/v2/models/identity/versions/${version}` }),
          400,
          'INVALID_ARGUMENT',
          'positive integer',
        );
        v2Error(
          await post(`/v2/models/identity/versions/${version}/infer`, { inputs: allInputs() }),
          400,
          'INVALID_ARGUMENT',
        );
      }
    });
  });

  describe('infer', () => {
    it('round-trips every datatype, echoing the id and the version', async () => {
      const body = v2Body(
        await post('/v2/models/identity/versions/2/infer', { id: 'r-1', inputs: allInputs() }),
      );
      assert.equal(body.model_name, 'identity');
      assert.equal(body.model_version, '2');
      assert.equal(body.id, 'r-1');
      assert.equal(body.outputs.length, datatypes.length);
      for (const d of datatypes) {
        const output = body.outputs.find((o) => o.name === `out_${d}`);
        assert.deepEqual(
          output,
          { name: `out_${d}`, datatype: d, shape: [2], data: everyDatatypeBack[d] },
          d,
        );
      }
    });

    it('accepts data nested to the shape and -1 (batch) dimensions of any size', async () => {
      for (const [rows, cols] of [
        [1, 3],
        [4, 2],
      ] as const) {
        const data = Array.from({ length: rows }, (_, r) =>
          Array.from({ length: cols }, (_, c) => r * 10 + c),
        );
        const body = v2Body(
          await post('/v2/models/scale/infer', {
            inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, cols], data }],
          }),
        );
        assert.deepEqual(body.outputs, [
          { name: 'y', datatype: 'FP32', shape: [rows, cols], data: data.flat().map((v) => v * 3) },
        ]);
      }
    });

    it('returns only the requested outputs', async () => {
      const body = v2Body(
        await post('/v2/models/identity/infer', {
          inputs: allInputs(),
          outputs: [{ name: 'out_INT8' }, { name: 'out_BYTES', parameters: { binary_data: false } }],
        }),
      );
      assert.deepEqual(body.outputs.map((o) => o.name).sort(), ['out_BYTES', 'out_INT8']);
    });

    it('passes request headers through for A/B routing', async () => {
      const input = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [5] }] };
      const a = v2Body(await post('/v2/models/ab/infer', input, { 'X-Variant': 'a' }));
      const b = v2Body(await post('/v2/models/ab/infer', input, { 'X-Variant': 'b' }));
      assert.deepEqual([a.model_version, a.outputs[0]?.data], ['1', [5]]);
      assert.deepEqual([b.model_version, b.outputs[0]?.data], ['2', [10]]);
    });

    it('rejects wrong shapes, datatypes and missing inputs with 400 naming the input', async () => {
      const url = '/v2/models/identity/infer';
      v2Error(
        await post(url, { inputs: allInputs(['BOOL']) }),
        400,
        'INVALID_ARGUMENT',
        "input 'in_BOOL' is missing",
      );
      const wrongType = allInputs().map((i) => (i.name === 'in_INT8' ? { ...i, datatype: 'INT16' } : i));
      v2Error(
        await post(url, { inputs: wrongType }),
        400,
        'INVALID_ARGUMENT',
        "input 'in_INT8' has datatype INT16",
      );
      v2Error(
        await post('/v2/models/scale/infer', {
          inputs: [{ name: 'x', datatype: 'FP32', shape: [3], data: [1, 2, 3] }],
        }),
        400,
        'INVALID_ARGUMENT',
        "input 'x' has shape [3]",
      );
      v2Error(
        await post('/v2/models/scale/infer', {
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2] }],
        }),
        400,
        'INVALID_ARGUMENT',
        "input 'x': has 2 elements; shape [1, 3] needs 3",
      );
      const outOfRange = allInputs().map((i) => (i.name === 'in_UINT8' ? { ...i, data: [0, 256] } : i));
      v2Error(
        await post(url, { inputs: outOfRange }),
        400,
        'INVALID_ARGUMENT',
        '256 is out of range for UINT8',
      );
      v2Error(
        await post(url, { inputs: allInputs(), outputs: [{ name: 'nope' }] }),
        400,
        'INVALID_ARGUMENT',
        "no output 'nope'",
      );
    });

    it('rejects malformed requests with 400', async () => {
      const url = '/v2/models/scale/infer';
      const x = { name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] };
      v2Error(await post(url, '{"inputs": ['), 400, 'MALFORMED_REQUEST', 'not valid JSON');
      v2Error(await post(url, '{"inputs": [], "n": 12345678901234567890'), 400, 'MALFORMED_REQUEST');
      v2Error(await post(url, ''), 400, 'INVALID_ARGUMENT', 'JSON object');
      v2Error(await post(url, { inputs: {} }), 400, 'INVALID_ARGUMENT', '"inputs" must be an array');
      v2Error(await post(url, { id: 7, inputs: [x] }), 400, 'INVALID_ARGUMENT', '"id" must be a string');
      v2Error(await post(url, { inputs: [x, x] }), 400, 'INVALID_ARGUMENT', 'more than once');
      v2Error(
        await post(url, { inputs: [x], parameters: { n: 12345678901234567890n } }),
        400,
        'INVALID_ARGUMENT',
        "parameter 'n'",
      );
      v2Error(
        await post(url, { inputs: [x], parameters: { n: { deep: 1 } } }),
        400,
        'INVALID_ARGUMENT',
        "parameter 'n'",
      );
    });

    it('rejects a compressed body with 415', async () => {
      const url = '/v2/models/scale/infer';
      const x = { name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] };
      v2Error(
        await post(url, { inputs: [x] }, { 'content-encoding': 'gzip' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    });

    it('reads a JSON body sent without a Content-Type, as tritonclient sends it', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/v2/models/scale/infer',
        payload: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }),
      });
      assert.deepEqual(v2Body(response).outputs[0]?.data, [3, 6]);
    });

    it('answers 413 in the V2 shape for a body over the server limit', async () => {
      const data = new Array<number>(40_000).fill(1.25);
      v2Error(
        await post('/v2/models/scale/infer', {
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1, data.length], data }],
        }),
        413,
        'PAYLOAD_TOO_LARGE',
      );
    });

    it('answers a full queue with 429 OVERLOADED and Retry-After', async () => {
      const slow = () =>
        post('/v2/models/single/infer', {
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }],
          parameters: { delayMs: 150 },
        });
      const responses = await Promise.all([slow(), slow(), slow()]);
      const rejected = responses.filter((r) => r.statusCode !== 200);
      assert.equal(rejected.length, 1, responses.map((r) => r.statusCode).join(','));
      const [overloaded] = rejected;
      assert.ok(overloaded !== undefined);
      v2Error(overloaded, 429, 'OVERLOADED', 'queue is full');
      assert.equal(overloaded.headers['retry-after'], '1');
    });
  });

  describe('binary tensor data extension', () => {
    /** Each datatype's extremes (everyDatatype) in typed storage, as tritonclient's numpy arrays hold them. */
    const typed: Readonly<Record<Datatype, ArrayBufferView | readonly string[]>> = {
      BOOL: new Uint8Array([1, 0]),
      UINT8: new Uint8Array([0, 255]),
      UINT16: new Uint16Array([0, 65535]),
      UINT32: new Uint32Array([0, 4294967295]),
      UINT64: new BigUint64Array([0n, 18446744073709551615n]),
      INT8: new Int8Array([-128, 127]),
      INT16: new Int16Array([-32768, 32767]),
      INT32: new Int32Array([-2147483648, 2147483647]),
      INT64: new BigInt64Array([-9223372036854775808n, 9007199254740993n]),
      FP16: new Uint16Array([0x2e66, 0x7c00]),
      FP32: new Float32Array([1.5, NaN]),
      FP64: new Float64Array([0.1, -1e300]),
      BYTES: ['a', 'é "quoted"'],
    };

    /** The extension's bytes for typed elements: raw little-endian, or length-prefixed strings. */
    function bytesOf(data: ArrayBufferView | readonly string[]): Buffer {
      if (!Array.isArray(data)) {
        const view = data as ArrayBufferView;
        return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
      }
      return Buffer.concat(
        (data as readonly string[]).flatMap((s) => {
          const bytes = Buffer.from(s, 'utf8');
          const length = Buffer.alloc(4);
          length.writeUInt32LE(bytes.length);
          return [length, bytes];
        }),
      );
    }

    function postBinary(url: string, header: unknown, blocks: readonly Buffer[], headerLength?: string) {
      const json = Buffer.from(jsonBody(header), 'utf8');
      return app.inject({
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/octet-stream',
          'inference-header-content-length': headerLength ?? String(json.length),
        },
        payload: Buffer.concat([json, ...blocks]),
      });
    }

    /** A binary response split into its JSON header and each binary output's bytes, by name. */
    function binaryResponse(response: LightMyRequestResponse): {
      body: V2Response;
      blocks: Map<string, Buffer>;
    } {
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.headers['content-type'], 'application/octet-stream');
      const raw = response.rawPayload;
      const length = Number(response.headers['inference-header-content-length']);
      const body = parseRequestJson(raw.subarray(0, length).toString('utf8')) as V2Response & {
        outputs: { parameters?: { binary_data_size?: number } }[];
      };
      const blocks = new Map<string, Buffer>();
      let at = length;
      for (const output of body.outputs) {
        const size = output.parameters?.binary_data_size;
        if (size === undefined) continue;
        blocks.set(output.name, raw.subarray(at, at + size));
        at += size;
      }
      assert.equal(at, raw.length, 'binary sizes add up to the body');
      return { body, blocks };
    }

    it('round-trips every datatype as binary data, in and out, byte for byte', async () => {
      const inputs = datatypes.map((d) => ({
        name: `in_${d}`,
        datatype: d,
        shape: [2],
        parameters: { binary_data_size: bytesOf(typed[d]).length },
      }));
      const { body, blocks } = binaryResponse(
        await postBinary(
          '/v2/models/identity/infer',
          { id: 'b-1', inputs, parameters: { binary_data_output: true } },
          datatypes.map((d) => bytesOf(typed[d])),
        ),
      );
      assert.equal(body.id, 'b-1');
      for (const d of datatypes) {
        const output = body.outputs.find((o) => o.name === `out_${d}`);
        assert.deepEqual(output, {
          name: `out_${d}`,
          datatype: d,
          shape: [2],
          parameters: { binary_data_size: bytesOf(typed[d]).length },
        });
        assert.deepEqual(blocks.get(`out_${d}`), bytesOf(typed[d]), d);
      }
    });

    it('mixes JSON and binary inputs, and lets binary_data on an output override binary_data_output', async () => {
      const inputs = allInputs().map((input) =>
        input.datatype === 'FP32' || input.datatype === 'BYTES'
          ? {
              ...input,
              data: undefined,
              parameters: { binary_data_size: bytesOf(typed[input.datatype]).length },
            }
          : input,
      );
      const { body, blocks } = binaryResponse(
        await postBinary(
          '/v2/models/identity/infer',
          {
            inputs,
            parameters: { binary_data_output: true },
            outputs: [{ name: 'out_FP32' }, { name: 'out_INT64', parameters: { binary_data: false } }],
          },
          [bytesOf(typed.FP32), bytesOf(typed.BYTES)],
        ),
      );
      assert.deepEqual([...blocks.keys()], ['out_FP32']);
      assert.deepEqual(blocks.get('out_FP32'), bytesOf(typed.FP32));
      assert.deepEqual(body.outputs.find((o) => o.name === 'out_INT64')?.data, everyDatatypeBack.INT64);
    });

    it('answers JSON to a binary request that asks for no binary output', async () => {
      const x = new Float32Array([1, 2.5]);
      const response = await postBinary(
        '/v2/models/scale/infer',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } }] },
        [bytesOf(x)],
      );
      assert.equal(response.headers['inference-header-content-length'], undefined);
      assert.deepEqual(v2Body(response).outputs[0]?.data, [3, 7.5]);
    });

    it('rejects malformed binary bodies with 400 naming the input, and keeps serving', async () => {
      const url = '/v2/models/scale/infer';
      const x = (size: number, extra: Record<string, unknown> = {}) => ({
        inputs: [
          { name: 'x', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: size }, ...extra },
        ],
      });
      const two = bytesOf(new Float32Array([1, 2]));
      const cases: readonly [string, ReturnType<typeof postBinary>, string][] = [
        [
          'header length beyond the body',
          postBinary(url, x(8), [two], '100000'),
          'Inference-Header-Content-Length',
        ],
        [
          'header length not a number',
          postBinary(url, x(8), [two], 'ten'),
          'Inference-Header-Content-Length',
        ],
        ['size beyond the body', postBinary(url, x(16), [two]), 'only 8 binary bytes are left'],
        ['size not matching the shape', postBinary(url, x(4), [two.subarray(0, 4)]), 'take 8'],
        ['negative size', postBinary(url, x(-8), [two]), 'non-negative integer'],
        ['bytes left over', postBinary(url, x(8), [two, Buffer.from([1, 2])]), 'after the last input'],
        [
          'both data and a size',
          postBinary(url, x(8, { data: [1, 2] }), [two]),
          'both "data" and binary_data_size',
        ],
        [
          'binary_data_output not a boolean',
          postBinary(url, { ...x(8), parameters: { binary_data_output: 'yes' } }, [two]),
          'must be true or false',
        ],
      ];
      for (const [what, response, fragment] of cases) {
        const error = v2Error(await response, 400, 'INVALID_ARGUMENT', fragment);
        assert.ok(error.length > 0, what);
      }
      const identity = (d: Datatype, bytes: Buffer) =>
        postBinary(
          '/v2/models/identity/infer',
          {
            inputs: [
              ...allInputs([d]),
              { name: `in_${d}`, datatype: d, shape: [2], parameters: { binary_data_size: bytes.length } },
            ],
          },
          [bytes],
        );
      v2Error(await identity('BOOL', Buffer.from([1, 2])), 400, 'INVALID_ARGUMENT', 'a BOOL is 0 or 1');
      v2Error(
        await identity('BYTES', Buffer.from([9, 0, 0, 0, 97])),
        400,
        'INVALID_ARGUMENT',
        'length-prefixed',
      );
      const notUtf8 = Buffer.from([1, 0, 0, 0, 0xff, 1, 0, 0, 0, 97]);
      v2Error(await identity('BYTES', notUtf8), 400, 'INVALID_ARGUMENT', 'not UTF-8');
      const badJson = await app.inject({
        method: 'POST',
        url,
        headers: { 'inference-header-content-length': '5' },
        payload: Buffer.concat([Buffer.from('{"in'), two]),
      });
      v2Error(badJson, 400, 'MALFORMED_REQUEST');
      const ok = await postBinary(url, x(8), [two]);
      assert.deepEqual(v2Body(ok).outputs[0]?.data, [3, 6]);
    });
  });

  describe('model repository', () => {
    const index = async (body?: string) => {
      const response = await app.inject({
        method: 'POST',
        url: '/v2/repository/index',
        ...(body === undefined ? {} : { payload: body }),
      });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<{ name: string; version?: string; state: string; reason: string }[]>();
    };
    const spare = async (body?: string) => (await index(body)).filter((e) => e.name === 'spare');

    it('lists every model, loaded or not, and only the ready ones on request', async () => {
      const all = await index();
      assert.deepEqual(
        all.map((e) => [e.name, e.version, e.state]),
        [
          ['ab', '1', 'READY'],
          ['ab', '2', 'READY'],
          ['identity', '1', 'READY'],
          ['identity', '2', 'READY'],
          ['scale', '1', 'READY'],
          ['single', '1', 'READY'],
          ['spare', undefined, 'UNAVAILABLE'],
        ],
      );
      assert.deepEqual(await spare('{"ready": true}'), []);
      assert.deepEqual(await spare('{}'), [{ name: 'spare', state: 'UNAVAILABLE', reason: 'unloaded' }]);
      v2Error(
        await app.inject({ method: 'POST', url: '/v2/repository/index', payload: '{"ready": "yes"}' }),
        400,
        'INVALID_ARGUMENT',
      );
    });

    it('loads and unloads a model, with an empty or a JSON body', async () => {
      const load = await app.inject({ method: 'POST', url: '/v2/repository/models/spare/load' });
      assert.equal(load.statusCode, 200, load.body);
      assert.equal(load.body, '');
      assert.deepEqual(await spare('{"ready": true}'), [
        { name: 'spare', version: '1', state: 'READY', reason: '' },
      ]);
      assert.equal((await app.inject({ url: '/v2/models/spare/ready' })).statusCode, 200);
      const unload = await app.inject({
        method: 'POST',
        url: '/v2/repository/models/spare/unload',
        payload: '{"parameters": {"unload_dependents": false}}',
      });
      assert.equal(unload.statusCode, 200, unload.body);
      assert.equal((await app.inject({ url: '/v2/models/spare/ready' })).statusCode, 400);
      v2Error(await post('/v2/models/spare/infer', { inputs: [] }), 404, 'NOT_FOUND', 'not loaded');
    });

    it('answers 404 for a model the repository does not hold, and 400 for config overrides', async () => {
      v2Error(await app.inject({ method: 'POST', url: '/v2/repository/models/nope/load' }), 404, 'NOT_FOUND');
      v2Error(
        await app.inject({ method: 'POST', url: '/v2/repository/models/nope/unload' }),
        404,
        'NOT_FOUND',
      );
      v2Error(
        await app.inject({
          method: 'POST',
          url: '/v2/repository/models/spare/load',
          payload: '{"parameters": {"config": "{}"}}',
        }),
        400,
        'INVALID_ARGUMENT',
        "'config'",
      );
    });
  });
});
