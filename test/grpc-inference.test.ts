import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Client,
  credentials,
  loadPackageDefinition,
  Metadata,
  status,
  type ClientDuplexStream,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { protoLoadOptions, inferenceProtoPath } from '../src/gateway/index.js';
import type { Platform } from '../src/platform/index.js';
import { datatypes, type Datatype } from '../src/serving/index.js';
import { identityHandler, scaleConfig, scaleHandler, writeModel } from './support/model-repository.js';
import { callMethod, grpcMethod, reflectedServices, unaryCall } from './support/grpc.js';
import { createKey, startPlatform, tempDataDir } from './support/platform.js';

/**
 * inference.GRPCInferenceService through a client generated from proto/grpc_predict_v2.proto, as
 * tritonclient's gRPC client would call it, against started platforms: one with authentication
 * off for the protocol, one with it on for metadata credentials.
 */

function identityConfig(types: readonly Datatype[]) {
  return {
    backend: 'typescript',
    max_batch_size: 0,
    inputs: types.map((d) => ({ name: `in_${d}`, datatype: d, shape: [-1] })),
    outputs: types.map((d) => ({ name: `out_${d}`, datatype: d, shape: [-1] })),
  };
}

/** Each datatype's typed contents field and two extreme elements, as the client sends them. */
const typed: Readonly<Record<Exclude<Datatype, 'FP16'>, readonly [string, readonly unknown[]]>> = {
  BOOL: ['bool_contents', [true, false]],
  UINT8: ['uint_contents', [0, 255]],
  UINT16: ['uint_contents', [0, 65535]],
  UINT32: ['uint_contents', [0, 4294967295]],
  UINT64: ['uint64_contents', ['0', '18446744073709551615']],
  INT8: ['int_contents', [-128, 127]],
  INT16: ['int_contents', [-32768, 32767]],
  INT32: ['int_contents', [-2147483648, 2147483647]],
  INT64: ['int64_contents', ['-9223372036854775808', '9007199254740993']],
  FP32: ['fp32_contents', [1.5, NaN]],
  FP64: ['fp64_contents', [0.1, -1e300]],
  BYTES: ['bytes_contents', [Buffer.from('a'), Buffer.from('é "quoted"')]],
};

/** Each datatype's two elements as raw little-endian bytes; FP16 0.0999755859375 and Infinity. */
function rawOf(datatype: Datatype): Buffer {
  const view = (array: ArrayBufferView) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  switch (datatype) {
    case 'FP16':
      return view(new Uint16Array([0x2e66, 0x7c00]));
    case 'BYTES': {
      const parts = ['a', 'é'].map((s) => Buffer.from(s));
      return Buffer.concat(parts.flatMap((p) => [Buffer.from(new Uint32Array([p.length]).buffer), p]));
    }
    case 'BOOL':
      return Buffer.from([1, 0]);
    case 'UINT64':
      return view(new BigUint64Array([0n, 2n ** 64n - 1n]));
    case 'INT64':
      return view(new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n]));
    case 'FP64':
      return view(new Float64Array([0.1, -1e300]));
    case 'FP32':
      return view(new Float32Array([1.5, -0]));
    default: {
      const [, values] = typed[datatype];
      const arrays = {
        UINT8: Uint8Array,
        UINT16: Uint16Array,
        UINT32: Uint32Array,
        INT8: Int8Array,
        INT16: Int16Array,
        INT32: Int32Array,
      } as const;
      return view(arrays[datatype].from(values as number[]));
    }
  }
}

interface Tensor {
  name: string;
  datatype: string;
  shape: string[];
  contents: Record<string, unknown[]> | null;
}

interface InferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: Tensor[];
  raw_output_contents: Buffer[];
}

const definition = loadPackageDefinition(loadSync(inferenceProtoPath, protoLoadOptions));
const Service = (definition['inference'] as Record<string, unknown>)[
  'GRPCInferenceService'
] as ServiceClientConstructor;

/** A promise-returning client for one server. */
function clientFor(port: number | undefined) {
  assert.ok(port !== undefined, 'the gRPC port is bound');
  const client: Client & Record<string, unknown> = new Service(
    `127.0.0.1:${port}`,
    credentials.createInsecure(),
  );
  const call = <T>(
    method: string,
    request: unknown = {},
    metadata: Record<string, string> = {},
    deadlineMs?: number,
  ): Promise<T> => callMethod<T>(client, method, request, metadata, deadlineMs);
  return { client, call };
}

/** The gRPC status an awaited call failed with. */
async function statusOf(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (error) {
    const { code, details } = error as ServiceError;
    return { code, details };
  }
  assert.fail('the call succeeded');
}

function fp32Input(name: string, values: number[], shape = [1, values.length]) {
  return { name, datatype: 'FP32', shape, contents: { fp32_contents: values } };
}

describe('inference.GRPCInferenceService, authentication off', () => {
  let platform: Platform;
  let rpc: ReturnType<typeof clientFor>;

  before(async () => {
    const dataDir = tempDataDir('grpc');
    const models = join(dataDir, 'models');
    await writeModel(models, 'identity', identityConfig(datatypes), { 1: { 'model.js': identityHandler } });
    // FP16 has no typed contents field, so typed requests go to a model without it.
    const typedModel = identityConfig(datatypes.filter((d) => d !== 'FP16'));
    await writeModel(models, 'typed', typedModel, { 1: { 'model.js': identityHandler } });
    await writeModel(models, 'slow', scaleConfig(), { 1: { 'model.js': scaleHandler('grpc-slow', 1) } });
    await writeModel(models, 'scale', scaleConfig(), { 1: { 'model.js': scaleHandler('grpc-scale', 3) } });
    await writeModel(models, 'spare', scaleConfig(), { 1: { 'model.js': scaleHandler('grpc-spare', 1) } });
    ({ platform } = await startPlatform(dataDir, ['all'], {
      'serving.startupModels': 'identity,typed,scale,slow',
    }));
    rpc = clientFor(platform.server.grpc.port);
  });

  after(async () => {
    rpc.client.close();
    await platform.shutdown();
  });

  it('answers ServerLive, ServerReady and ServerMetadata', async () => {
    assert.deepEqual(await rpc.call('ServerLive'), { live: true });
    assert.deepEqual(await rpc.call('ServerReady'), { ready: true });
    const metadata = await rpc.call<{ name: string; extensions: string[] }>('ServerMetadata');
    assert.equal(metadata.name, 'strata');
    assert.ok(metadata.extensions.includes('model_repository'));
  });

  it('lists the service through server reflection and reports it through grpc.health.v1', async () => {
    const client = new Client(`127.0.0.1:${platform.server.grpc.port ?? 0}`, credentials.createInsecure());
    const services = await reflectedServices(client);
    assert.ok(services.includes('inference.GRPCInferenceService'), services.join(', '));
    const check = grpcMethod(healthProtoPath, 'grpc.health.v1.Health', 'Check');
    const serving = await unaryCall(client, check, { service: 'inference.GRPCInferenceService' });
    client.close();
    assert.deepEqual(serving, { status: 'SERVING' });
  });

  it('answers ModelReady and ModelMetadata with -1 for any-size dimensions', async () => {
    assert.deepEqual(await rpc.call('ModelReady', { name: 'scale' }), { ready: true });
    assert.deepEqual(await rpc.call('ModelReady', { name: 'scale', version: '1' }), { ready: true });
    assert.deepEqual(await rpc.call('ModelReady', { name: 'spare' }), { ready: false });
    const metadata = await rpc.call<{
      versions: string[];
      inputs: { name: string; datatype: string; shape: string[] }[];
    }>('ModelMetadata', { name: 'scale' });
    assert.deepEqual(metadata.versions, ['1']);
    assert.deepEqual(metadata.inputs, [{ name: 'x', datatype: 'FP32', shape: ['-1', '-1'] }]);
  });

  it('infers with typed contents for every datatype but FP16, exact to the last bit', async () => {
    const inputs = Object.entries(typed).map(([datatype, [field, values]]) => ({
      name: `in_${datatype}`,
      datatype,
      shape: [2],
      contents: { [field]: values },
    }));
    const response = await rpc.call<InferResponse>('ModelInfer', { model_name: 'typed', id: 'r1', inputs });
    assert.equal(response.id, 'r1');
    assert.equal(response.model_version, '1');
    assert.equal(response.outputs.length, Object.keys(typed).length);
    assert.deepEqual(response.raw_output_contents, []);
    for (const [datatype, [field, values]] of Object.entries(typed)) {
      const output = response.outputs.find((o) => o.name === `out_${datatype}`);
      assert.ok(output !== undefined, datatype);
      assert.deepEqual(output.shape, ['2']);
      assert.deepEqual(output.contents?.[field], values, datatype);
    }
  });

  it('infers with raw_input_contents for every datatype, answering raw_output_contents', async () => {
    const inputs = datatypes.map((datatype) => ({ name: `in_${datatype}`, datatype, shape: [2] }));
    const raw = datatypes.map(rawOf);
    const response = await rpc.call<InferResponse>('ModelInfer', {
      model_name: 'identity',
      inputs,
      raw_input_contents: raw,
    });
    assert.deepEqual(
      response.outputs.map((o) => [o.name, o.datatype, o.contents]),
      datatypes.map((d) => [`out_${d}`, d, null]),
    );
    datatypes.forEach((datatype, i) => {
      assert.deepEqual(response.raw_output_contents[i], raw[i], datatype);
    });
  });

  it('returns only the requested outputs; FP16 has no typed contents', async () => {
    const response = await rpc.call<InferResponse>('ModelInfer', {
      model_name: 'identity',
      inputs: datatypes.map((datatype) => ({ name: `in_${datatype}`, datatype, shape: [2] })),
      raw_input_contents: datatypes.map(rawOf),
      outputs: [{ name: 'out_INT32' }],
    });
    assert.deepEqual(
      response.outputs.map((o) => o.name),
      ['out_INT32'],
    );
    const fp16 = await statusOf(
      rpc.call('ModelInfer', {
        model_name: 'identity',
        inputs: [{ name: 'in_FP16', datatype: 'FP16', shape: [1], contents: { fp32_contents: [1] } }],
      }),
    );
    assert.equal(fp16.code, status.INVALID_ARGUMENT);
    assert.match(fp16.details, /raw_input_contents/);
  });

  it('batches -1 dimensions and passes parameters to the model', async () => {
    const response = await rpc.call<InferResponse>('ModelInfer', {
      model_name: 'scale',
      model_version: '1',
      inputs: [fp32Input('x', [1, 2, 3, 4], [2, 2])],
      parameters: { delayMs: { int64_param: '1' } },
    });
    const [y] = response.outputs;
    assert.ok(y !== undefined);
    assert.deepEqual(y.shape, ['2', '2']);
    assert.deepEqual(y.contents?.['fp32_contents'], [3, 6, 9, 12]);
  });

  it('answers NOT_FOUND for an unknown model and INVALID_ARGUMENT for a wrong shape or version', async () => {
    const missing = await statusOf(
      rpc.call('ModelInfer', { model_name: 'nope', inputs: [fp32Input('x', [1])] }),
    );
    assert.equal(missing.code, status.NOT_FOUND);
    assert.match(missing.details, /nope/);
    assert.equal((await statusOf(rpc.call('ModelMetadata', { name: 'nope' }))).code, status.NOT_FOUND);
    const shape = await statusOf(
      rpc.call('ModelInfer', { model_name: 'scale', inputs: [fp32Input('x', [1, 2], [1, 1, 2])] }),
    );
    assert.equal(shape.code, status.INVALID_ARGUMENT);
    assert.match(shape.details, /shape/);
    const version = await statusOf(
      rpc.call('ModelInfer', { model_name: 'scale', model_version: 'latest', inputs: [fp32Input('x', [1])] }),
    );
    assert.equal(version.code, status.INVALID_ARGUMENT);
  });

  it('answers DEADLINE_EXCEEDED when the model is slower than the deadline', async () => {
    const late = await statusOf(
      rpc.call(
        'ModelInfer',
        {
          model_name: 'slow',
          inputs: [fp32Input('x', [5])],
          parameters: { delayMs: { int64_param: '500' } },
        },
        {},
        100,
      ),
    );
    assert.equal(late.code, status.DEADLINE_EXCEEDED);
  });

  it('streams answers to several requests, a failing one answered with its error', async () => {
    const stream = (rpc.client['ModelStreamInfer'] as () => ClientDuplexStream<unknown, unknown>).call(
      rpc.client,
    );
    const answers: { error_message: string; infer_response: InferResponse | null }[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('data', (answer: (typeof answers)[number]) => answers.push(answer));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.write({ model_name: 'scale', id: 'a', inputs: [fp32Input('x', [1])] });
    stream.write({ model_name: 'nope', id: 'b', inputs: [fp32Input('x', [1])] });
    stream.write({ model_name: 'scale', id: 'c', inputs: [fp32Input('x', [2])] });
    stream.end();
    await ended;
    assert.equal(answers.length, 3);
    const failed = answers.filter((a) => a.error_message !== '');
    assert.equal(failed.length, 1);
    assert.match(failed[0]?.error_message ?? '', /NOT_FOUND.*nope/);
    const byId = new Map(
      answers.flatMap((a) => (a.infer_response === null ? [] : [[a.infer_response.id, a]])),
    );
    assert.deepEqual(byId.get('a')?.infer_response?.outputs[0]?.contents?.['fp32_contents'], [3]);
    assert.deepEqual(byId.get('c')?.infer_response?.outputs[0]?.contents?.['fp32_contents'], [6]);
  });

  it('indexes the repository and loads and unloads a model', async () => {
    const index = await rpc.call<{ models: { name: string; state: string }[] }>('RepositoryIndex', {});
    assert.deepEqual(index.models.map((m) => m.name).sort(), ['identity', 'scale', 'slow', 'spare', 'typed']);
    await rpc.call('RepositoryModelLoad', { model_name: 'spare' });
    assert.deepEqual(await rpc.call('ModelReady', { name: 'spare' }), { ready: true });
    const ready = await rpc.call<{ models: { name: string }[] }>('RepositoryIndex', { ready: true });
    assert.ok(ready.models.some((m) => m.name === 'spare'));
    await rpc.call('RepositoryModelUnload', { model_name: 'spare' });
    assert.deepEqual(await rpc.call('ModelReady', { name: 'spare' }), { ready: false });
    const load = await statusOf(
      rpc.call('RepositoryModelLoad', {
        model_name: 'spare',
        parameters: { config: { string_param: '{}' } },
      }),
    );
    assert.equal(load.code, status.INVALID_ARGUMENT);
  });
});

describe('inference.GRPCInferenceService, authentication on', () => {
  let platform: Platform;
  let url: string;
  let admin: string;
  let rpc: ReturnType<typeof clientFor>;

  const newKey = (body: Record<string, unknown>): Promise<string> => createKey(url, admin, body);

  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const scaleRequest = { model_name: 'scale', inputs: [fp32Input('x', [1, 2.5])] };

  before(async () => {
    const dataDir = tempDataDir('grpc-auth');
    await writeModel(join(dataDir, 'models'), 'scale', scaleConfig(), {
      1: { 'model.js': scaleHandler('grpc-auth-scale', 2) },
    });
    ({ platform, url } = await startPlatform(dataDir, ['all'], {
      'security.auth.enabled': 'true',
      'security.rateLimit.perKey.burst': '20',
      'security.rateLimit.perKey.ratePerSecond': '0.01',
    }));
    admin = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
    rpc = clientFor(platform.server.grpc.port);
  });

  after(async () => {
    rpc.client.close();
    await platform.shutdown();
  });

  it('refuses calls without credentials, probes aside', async () => {
    assert.deepEqual(await rpc.call('ServerLive'), { live: true });
    assert.deepEqual(await rpc.call('ServerReady'), { ready: true });
    for (const method of ['ModelInfer', 'ModelMetadata', 'ServerMetadata', 'RepositoryIndex']) {
      const refused = await statusOf(
        rpc.call(method, method === 'ModelInfer' ? scaleRequest : { name: 'scale' }),
      );
      assert.equal(refused.code, status.UNAUTHENTICATED, method);
    }
    const bad = await statusOf(rpc.call('ModelInfer', scaleRequest, bearer('strata_nope_nope')));
    assert.equal(bad.code, status.UNAUTHENTICATED);
    const stream = (rpc.client['ModelStreamInfer'] as () => ClientDuplexStream<unknown, unknown>).call(
      rpc.client,
    );
    const streamed = await new Promise<ServiceError>((resolve) => {
      stream.on('error', resolve);
      stream.on('data', () => undefined);
      stream.write(scaleRequest);
    });
    assert.equal(streamed.code, status.UNAUTHENTICATED);
  });

  it('lets a viewer infer but not load, through authorization or api-key metadata', async () => {
    const viewer = await newKey({ name: 'grpc viewer', roles: ['viewer'] });
    const inferred = await rpc.call<InferResponse>('ModelInfer', scaleRequest, bearer(viewer));
    assert.deepEqual(inferred.outputs[0]?.contents?.['fp32_contents'], [2, 5]);
    const byApiKey = await rpc.call<InferResponse>('ModelInfer', scaleRequest, { 'api-key': viewer });
    assert.deepEqual(byApiKey.outputs, inferred.outputs);
    const metadata = new Metadata();
    metadata.set('api-key', viewer);
    const stream = (
      rpc.client['ModelStreamInfer'] as (metadata: Metadata) => ClientDuplexStream<unknown, unknown>
    ).call(rpc.client, metadata);
    const answers: { error_message: string }[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('data', (answer: { error_message: string }) => answers.push(answer));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.write(scaleRequest);
    stream.write(scaleRequest);
    stream.end();
    await ended;
    assert.deepEqual(
      answers.map((a) => a.error_message),
      ['', ''],
    );
    const load = await statusOf(rpc.call('RepositoryModelLoad', { model_name: 'scale' }, bearer(viewer)));
    assert.equal(load.code, status.PERMISSION_DENIED);
    await rpc.call('RepositoryModelLoad', { model_name: 'scale' }, bearer(admin));
  });

  it("hides a default-tenant model from another tenant's key", async () => {
    const acme = await newKey({ name: 'acme admin', roles: ['admin'], tenant: 'acme' });
    const metadata = await statusOf(rpc.call('ModelMetadata', { name: 'scale' }, bearer(acme)));
    assert.equal(metadata.code, status.NOT_FOUND);
    const inferred = await statusOf(rpc.call('ModelInfer', scaleRequest, bearer(acme)));
    assert.equal(inferred.code, status.NOT_FOUND);
    assert.deepEqual(await rpc.call('ModelReady', { name: 'scale' }, bearer(acme)), { ready: false });
  });

  it('answers RESOURCE_EXHAUSTED with retry-after metadata once a key’s burst is spent', async () => {
    const key = await newKey({ name: 'grpc burst', roles: ['viewer'] });
    for (let i = 0; i < 20; i++) await rpc.call('ServerMetadata', {}, bearer(key));
    const refused = await rpc.call('ServerMetadata', {}, bearer(key)).then(
      () => assert.fail('the 21st call was admitted'),
      (error: unknown) => error as ServiceError,
    );
    assert.equal(refused.code, status.RESOURCE_EXHAUSTED);
    assert.match(refused.details, /retry after \d+ s/);
    assert.deepEqual(refused.metadata.get('strata-error-code'), ['RATE_LIMITED']);
    assert.ok(Number(refused.metadata.get('retry-after')[0]) > 0);
  });

  it('answers what REST answers for the same request', async () => {
    const rest = await fetch(`${url}/v2/models/scale/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'same',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 0.1] }],
      }),
    });
    assert.equal(rest.status, 200);
    const json = (await rest.json()) as {
      model_name: string;
      model_version: string;
      id: string;
      outputs: { name: string; datatype: string; shape: number[]; data: number[] }[];
    };
    const grpc = await rpc.call<InferResponse>(
      'ModelInfer',
      { model_name: 'scale', id: 'same', inputs: [fp32Input('x', [1, 2, 3, 0.1], [2, 2])] },
      bearer(admin),
    );
    assert.deepEqual(
      {
        model_name: grpc.model_name,
        model_version: grpc.model_version,
        id: grpc.id,
        outputs: grpc.outputs.map((o) => ({
          name: o.name,
          datatype: o.datatype,
          shape: o.shape.map(Number),
          data: o.contents?.['fp32_contents'],
        })),
      },
      json,
    );
  });
});
