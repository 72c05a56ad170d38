/**
 * Protocol parity (issue 6): REST, gRPC and GraphQL only translate to the same procedures, so one
 * scenario — create a collection, upsert, a filtered search, read the collection back, infer — run
 * over each of them, as its own caller would, answers the same once each transport's encoding is
 * undone; and the same refused call is refused with the same stable code and message on all three.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { inferenceProtoPath, protoLoadOptions, vectorProtoPath } from '../src/gateway/index.js';
import type { Platform } from '../src/platform/index.js';
import { grpcMethod, unaryCall } from './support/grpc.js';
import { scaleConfig, scaleHandler, writeModel } from './support/model-repository.js';
import { createKey, startPlatform, tempDataDir } from './support/platform.js';

type Json = Record<string, unknown>;

const uuid = '0f9c2d4e-5b6a-4c7d-8e9f-a0b1c2d3e4f5';
const dimension = 4;
const distance = 'Cosine';
const limit = 10;

interface Point {
  readonly id: number | string;
  readonly vector: readonly number[];
  readonly payload: Json;
}

/**
 * Ids numeric and a UUID. Coordinates that float32 cannot hold exactly (0.1 and the like): gRPC
 * carries vectors as proto `float`, REST and GraphQL as JSON doubles, and the engine rounds each
 * component to float32 before anything else (src/vector/metric.ts), so all three store the same.
 */
const points: readonly Point[] = [
  { id: 1, vector: [0.1, 0.2, 0.3, 0.4], payload: { color: 'red', size: 1 } },
  { id: 2, vector: [0.9, 0.1, 0.7, 0.3], payload: { color: 'red', size: 5 } },
  { id: 3, vector: [0.2, 0.3, 0.1, 0.9], payload: { color: 'blue', size: 5 } },
  { id: uuid, vector: [0.7, 0.6, 0.2, 0.1], payload: { color: 'red', size: 8 } },
  { id: 5, vector: [0.3, 0.7, 0.6, 0.3], payload: { color: 'red', size: 12 } },
];
const query = [0.6, 0.3, 0.5, 0.2];
const filter = {
  must: [
    { key: 'color', match: { value: 'red' } },
    { key: 'size', range: { gte: 2, lt: 10 } },
  ],
};
/** FP32 tensors are rounded to float32 on every transport, so 0.1 may be sent as it is. */
const input = { name: 'x', datatype: 'FP32', shape: [2, 3], data: [0.1, 0.2, 0.3, -1.5, 1e-7, 3.3] };
/** The refused write: an upsert by a viewer, or by nobody. */
const forbidden = {
  collection: 'parity-rest',
  points: [{ id: 99, vector: [1, 0, 0, 0], payload: { color: 'red', size: 3 } }],
};

/** Each transport's answers with its encoding undone. */
interface Hit {
  readonly id: number | string;
  readonly version: number;
  readonly score: number;
  readonly payload: unknown;
  readonly vector: readonly number[];
}
interface Inference {
  readonly model: string;
  readonly version: string;
  readonly id: string;
  readonly outputs: readonly { name: string; datatype: string; shape: number[]; data: unknown[] }[];
}

/** A transport refused the call: its own status (HTTP or gRPC), the stable code and the message. */
class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: unknown,
    message: string,
  ) {
    super(message);
  }
}

interface Transport {
  createCollection(name: string, key?: string): Promise<void>;
  upsert(
    collection: string,
    batch: readonly Point[],
    key?: string,
  ): Promise<{ operationId: number; status: string }>;
  search(collection: string, vector: readonly number[], key?: string): Promise<Hit[]>;
  info(collection: string, key?: string): Promise<{ pointsCount: number; config: unknown }>;
  infer(key?: string): Promise<Inference>;
}

function restTransport(url: string): Transport {
  const call = async (method: string, path: string, key: string | undefined, body?: unknown) => {
    const response = await fetch(url + path, {
      method,
      headers: {
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as Json;
    if (response.ok) return json;
    // Qdrant's `{status: {error, code}}`, or the Open Inference Protocol's `{error, code}`.
    const error = (typeof json['status'] === 'object' ? json['status'] : json) as Json;
    throw new Refused(response.status, error['code'], String(error['error']));
  };
  const result = async (...args: Parameters<typeof call>) => (await call(...args))['result'] as Json;
  return {
    createCollection: async (name, key) => {
      await call('PUT', `/collections/${name}`, key, { vectors: { size: dimension, distance } });
    },
    upsert: async (collection, batch, key) => {
      const update = await result('PUT', `/collections/${collection}/points`, key, { points: batch });
      return { operationId: update['operation_id'] as number, status: update['status'] as string };
    },
    search: async (collection, vector, key) =>
      (
        await call('POST', `/collections/${collection}/points/search`, key, {
          vector,
          limit,
          filter,
          with_payload: true,
          with_vector: true,
        })
      )['result'] as Hit[],
    info: async (collection, key) => {
      const info = await result('GET', `/collections/${collection}`, key);
      return { pointsCount: info['points_count'] as number, config: info['config'] };
    },
    infer: async (key) => {
      const answer = await call('POST', '/v2/models/scale/infer', key, { id: 'parity', inputs: [input] });
      return {
        model: answer['model_name'] as string,
        version: answer['model_version'] as string,
        id: answer['id'] as string,
        outputs: answer['outputs'] as Inference['outputs'],
      };
    },
  };
}

function grpcTransport(client: Client): Transport {
  const call = async (service: 'vector' | 'inference', name: string, request: object, key?: string) => {
    const [path, serviceName] =
      service === 'vector'
        ? [vectorProtoPath, 'strata.vector.v1.VectorService']
        : [inferenceProtoPath, 'inference.GRPCInferenceService'];
    const metadata = new Metadata();
    if (key !== undefined) metadata.set('authorization', `Bearer ${key}`);
    try {
      return (await unaryCall(
        client,
        grpcMethod(path, serviceName, name, protoLoadOptions),
        request,
        metadata,
      )) as Json;
    } catch (error) {
      const { code, details, metadata: trailers } = error as ServiceError;
      throw new Refused(code, trailers.get('strata-error-code')[0], details);
    }
  };
  const idOf = (id: { num?: string; uuid?: string }) => id.uuid ?? Number(id.num);
  const idMessage = (id: number | string) => (typeof id === 'number' ? { num: String(id) } : { uuid: id });
  return {
    createCollection: async (name, key) => {
      await call('vector', 'CreateCollection', { collection_name: name, size: dimension, distance }, key);
    },
    upsert: async (collection, batch, key) => {
      const update = await call(
        'vector',
        'Upsert',
        {
          collection_name: collection,
          points: batch.map((p) => ({
            id: idMessage(p.id),
            vector: p.vector,
            payload_json: JSON.stringify(p.payload),
          })),
        },
        key,
      );
      return { operationId: Number(update['operation_id']), status: update['status'] as string };
    },
    search: async (collection, vector, key) => {
      const answer = await call(
        'vector',
        'Search',
        {
          collection_name: collection,
          vector,
          limit,
          filter_json: JSON.stringify(filter),
          with_payload: true,
          with_vector: true,
        },
        key,
      );
      return (answer['points'] as Json[]).map((p) => ({
        id: idOf(p['id'] as { num?: string; uuid?: string }),
        version: Number(p['version']),
        // proto `double`: the engine's score as is.
        score: p['score'] as number,
        payload: JSON.parse(p['payload_json'] as string) as unknown,
        // proto `float`, and the engine stores float32: decoded, the same doubles JSON carries.
        vector: p['vector'] as number[],
      }));
    },
    info: async (collection, key) => {
      const answer = await call('vector', 'GetCollection', { collection_name: collection }, key);
      const info = JSON.parse(answer['info_json'] as string) as Json;
      return { pointsCount: info['points_count'] as number, config: info['config'] };
    },
    infer: async (key) => {
      const { data, ...tensor } = input;
      const answer = await call(
        'inference',
        'ModelInfer',
        { model_name: 'scale', id: 'parity', inputs: [{ ...tensor, contents: { fp32_contents: data } }] },
        key,
      );
      return {
        model: answer['model_name'] as string,
        version: answer['model_version'] as string,
        id: answer['id'] as string,
        outputs: (answer['outputs'] as Json[]).map((o) => ({
          name: o['name'] as string,
          datatype: o['datatype'] as string,
          // int64 dimensions arrive as decimal strings (protoLoadOptions `longs: String`).
          shape: (o['shape'] as string[]).map(Number),
          data: (o['contents'] as { fp32_contents: number[] }).fp32_contents,
        })),
      };
    },
  };
}

function graphqlTransport(url: string): Transport {
  const call = async (document: string, variables: Json, key?: string) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      },
      body: JSON.stringify({ query: document, variables }),
    });
    const body = (await response.json()) as {
      data?: Json | null;
      errors?: { message: string; extensions?: Json }[];
    };
    const [error] = body.errors ?? [];
    if (error !== undefined) throw new Refused(response.status, error.extensions?.['code'], error.message);
    assert.equal(response.status, 200);
    return body.data ?? assert.fail('a GraphQL answer with neither data nor errors');
  };
  return {
    createCollection: async (name, key) => {
      await call(
        'mutation ($name: String!, $dimension: Int!, $distance: Distance!) { createCollection(name: $name, dimension: $dimension, distance: $distance) { name } }',
        { name, dimension, distance },
        key,
      );
    },
    upsert: async (collection, batch, key) =>
      (
        await call(
          'mutation ($collection: String!, $points: [PointInput!]!) { upsertPoints(collection: $collection, points: $points) { operationId status } }',
          { collection, points: batch },
          key,
        )
      )['upsertPoints'] as { operationId: number; status: string },
    search: async (collection, vector, key) =>
      (
        await call(
          `query ($collection: String!, $vector: [Float!]!, $limit: Int!, $filter: JSON) {
            search(collection: $collection, vector: $vector, limit: $limit, filter: $filter, withPayload: true, withVector: true) {
              id version score payload vector
            }
          }`,
          { collection, vector, limit, filter },
          key,
        )
      )['search'] as Hit[],
    info: async (collection, key) => {
      const data = await call(
        'query ($name: String!) { collection(name: $name) { info { pointsCount config } } }',
        { name: collection },
        key,
      );
      return (data['collection'] as { info: { pointsCount: number; config: unknown } }).info;
    },
    infer: async (key) => {
      const data = await call(
        'query ($inputs: [TensorInput!]!) { infer(model: "scale", id: "parity", inputs: $inputs) { model version id outputs { name datatype shape data } } }',
        { inputs: [input] },
        key,
      );
      const answer = data['infer'] as Omit<Inference, 'version'> & { version: number };
      // GraphQL's `version` is an Int; the Open Inference Protocol's model_version a string.
      return { ...answer, version: String(answer.version) };
    },
  };
}

/** The scenario over one transport, in its own collection. */
async function scenario(transport: Transport, collection: string, key: string) {
  await transport.createCollection(collection, key);
  const upserted = await transport.upsert(collection, points, key);
  const hits = await transport.search(collection, query, key);
  const info = await transport.info(collection, key);
  const inference = await transport.infer(key);
  return { upserted, hits, info, inference };
}

/** How a call was refused; fails when it was not. */
async function refusal(promise: Promise<unknown>): Promise<Refused> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Refused) return error;
    throw error;
  }
  assert.fail('the call was not refused');
}

describe('REST, gRPC and GraphQL answer one scenario alike', () => {
  let platform: Platform;
  let admin: string;
  let viewer: string;
  let client: Client;
  let transports: Record<'rest' | 'grpc' | 'graphql', Transport>;

  before(async () => {
    const dataDir = tempDataDir('parity');
    await writeModel(join(dataDir, 'models'), 'scale', scaleConfig(), {
      1: { 'model.js': scaleHandler('parity-scale', 3) },
    });
    let url: string;
    ({ platform, url } = await startPlatform(dataDir, ['all'], { 'security.auth.enabled': 'true' }));
    admin = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
    viewer = await createKey(url, admin, { name: 'parity viewer', roles: ['viewer'] });
    const port = platform.server.grpc.port;
    assert.ok(port !== undefined, 'the gRPC port is bound');
    client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    transports = { rest: restTransport(url), grpc: grpcTransport(client), graphql: graphqlTransport(url) };
  });

  after(async () => {
    client.close();
    await platform.shutdown();
  });

  it('creates, upserts, searches with a filter, reads back and infers with identical results', async () => {
    const rest = await scenario(transports.rest, 'parity-rest', admin);
    const grpc = await scenario(transports.grpc, 'parity-grpc', admin);
    const graphql = await scenario(transports.graphql, 'parity-graphql', admin);
    // The scenario did what it says, so that equal answers are not equally empty.
    assert.deepEqual(new Set(rest.hits.map((hit) => hit.id)), new Set([2, uuid]));
    assert.equal(rest.info.pointsCount, points.length);
    assert.equal(rest.inference.outputs[0]?.data.length, input.data.length);
    // Exact equality, scores and float32 values included: one engine computed them all.
    assert.deepStrictEqual(grpc, rest);
    assert.deepStrictEqual(graphql, rest);
  });

  it('refuses a viewer’s upsert with PERMISSION_DENIED on all three, and it changes nothing', async () => {
    const refused = {
      rest: await refusal(transports.rest.upsert(forbidden.collection, forbidden.points, viewer)),
      grpc: await refusal(transports.grpc.upsert(forbidden.collection, forbidden.points, viewer)),
      graphql: await refusal(transports.graphql.upsert(forbidden.collection, forbidden.points, viewer)),
    };
    assert.equal(refused.rest.status, 403);
    assert.equal(refused.grpc.status, GrpcStatus.PERMISSION_DENIED);
    // The query ran and a field failed: GraphQL over HTTP answers 200 with the error.
    assert.equal(refused.graphql.status, 200);
    const same = ({ code, message }: Refused) => ({ code, message });
    assert.deepStrictEqual(same(refused.rest), { code: 'PERMISSION_DENIED', message: refused.rest.message });
    assert.deepStrictEqual(same(refused.grpc), same(refused.rest));
    assert.deepStrictEqual(same(refused.graphql), same(refused.rest));
    const info = await transports.rest.info(forbidden.collection, viewer);
    assert.equal(info.pointsCount, points.length);
  });

  it('refuses the same call without credentials with UNAUTHENTICATED on all three', async () => {
    const refused = {
      rest: await refusal(transports.rest.upsert(forbidden.collection, forbidden.points)),
      grpc: await refusal(transports.grpc.upsert(forbidden.collection, forbidden.points)),
      graphql: await refusal(transports.graphql.upsert(forbidden.collection, forbidden.points)),
    };
    assert.equal(refused.rest.status, 401);
    assert.equal(refused.grpc.status, GrpcStatus.UNAUTHENTICATED);
    // Refused by the HTTP hooks before the query ran: the code's HTTP status.
    assert.equal(refused.graphql.status, 401);
    const same = ({ code, message }: Refused) => ({ code, message });
    assert.deepStrictEqual(same(refused.rest), { code: 'UNAUTHENTICATED', message: refused.rest.message });
    assert.deepStrictEqual(same(refused.grpc), same(refused.rest));
    assert.deepStrictEqual(same(refused.graphql), same(refused.rest));
  });
});
