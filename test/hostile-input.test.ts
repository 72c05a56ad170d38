/**
 * Malformed and hostile requests against a started platform (every module, every REST API):
 * each is answered with a 4xx (with a stable code where Strata answers, rather than Node's HTTP
 * parser), never a 5xx, and the server keeps serving and keeps its data. Issue 5 adds the
 * credential cases (expired, forged and `alg: none` tokens) once authentication is wired.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Platform } from '../src/platform/index.js';
import { scaleConfig, scaleHandler, writeModel } from './support/model-repository.js';
import { startPlatform, tempDataDir } from './support/platform.js';

let platform: Platform;
let url: string;

const embedder = `
export default {
  execute([input]) {
    const rows = input.shape[0];
    return [{ name: 'embedding', datatype: 'FP32', shape: [rows, 4], data: new Float32Array(rows * 4).fill(0.5) }];
  },
};
`;

before(async () => {
  const dataDir = tempDataDir('hostile');
  const models = join(dataDir, 'models');
  await writeModel(models, 'scale', scaleConfig(), { 1: { 'model.js': scaleHandler('hostile-scale', 2) } });
  await writeModel(
    models,
    'embedder',
    {
      backend: 'typescript',
      max_batch_size: 8,
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [1] }],
      outputs: [{ name: 'embedding', datatype: 'FP32', shape: [4] }],
      openai: { embedding: { input: 'text', output: 'embedding' } },
    },
    { 1: { 'model.js': embedder } },
  );
  ({ platform, url } = await startPlatform(dataDir, ['all'], {
    'server.bodyLimitBytes': String(256 * 1024),
  }));
  const created = await send('PUT', '/collections/kept', { vectors: { size: 4, distance: 'Cosine' } });
  assert.equal(created.status, 200, await created.text());
  const upserted = await send('PUT', '/collections/kept/points?wait=true', {
    points: [{ id: 1, vector: [1, 0, 0, 0], payload: { tag: 'a' } }],
  });
  assert.equal(upserted.status, 200, await upserted.text());
});

after(async () => {
  await platform.shutdown();
});

function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return fetch(url + path, {
    method,
    headers: { ...(text === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(text === undefined ? {} : { body: text }),
  });
}

/** A request written byte for byte on a socket, for what fetch refuses to send; the status line's code. */
function raw(request: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let answer = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      if (status === undefined) reject(new Error(`no HTTP answer: ${JSON.stringify(answer.slice(0, 200))}`));
      else resolve(Number(status));
    });
  });
}

const nested = (depth: number, leaf = '1'): string => '['.repeat(depth) + leaf + ']'.repeat(depth);
const nestedObject = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
/** A filter of `depth` nested must clauses, as text: JSON.stringify itself overflows on it. */
const mustChain = (depth: number): string =>
  '{"must":['.repeat(depth) + '{"key":"tag","match":{"value":"a"}}' + ']}'.repeat(depth);
const v2 = (inputs: unknown, extra: Record<string, unknown> = {}) => ({ inputs, ...extra });
const x = (data: unknown, shape: unknown = [1, 2], datatype: unknown = 'FP32') => ({
  name: 'x',
  datatype,
  shape,
  data,
});

type Case = readonly [
  what: string,
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
];

const cases: readonly Case[] = [
  // Qdrant collections
  ['malformed JSON', 'PUT', '/collections/c1', '{"vectors": {"size": 4,'],
  ['an array instead of an object', 'PUT', '/collections/c1', []],
  ['a JSON string body', 'PUT', '/collections/c1', '"vectors"'],
  ['size as a string', 'PUT', '/collections/c1', { vectors: { size: '4', distance: 'Dot' } }],
  ['negative size', 'PUT', '/collections/c1', { vectors: { size: -1, distance: 'Dot' } }],
  ['huge size', 'PUT', '/collections/c1', { vectors: { size: 1e12, distance: 'Dot' } }],
  ['size beyond 2^53', 'PUT', '/collections/c1', '{"vectors":{"size":9007199254740993,"distance":"Dot"}}'],
  ['unknown distance', 'PUT', '/collections/c1', { vectors: { size: 4, distance: 'Cosine; DROP TABLE' } }],
  [
    'path traversal in a collection name',
    'PUT',
    '/collections/..%2F..%2Fetc',
    { vectors: { size: 4, distance: 'Dot' } },
  ],
  ['dot-dot collection name', 'PUT', '/collections/..', { vectors: { size: 4, distance: 'Dot' } }],
  ['NUL in a collection name', 'PUT', '/collections/a%00b', { vectors: { size: 4, distance: 'Dot' } }],
  [
    'a 10 000-character collection name',
    'PUT',
    `/collections/${'n'.repeat(10_000)}`,
    { vectors: { size: 4, distance: 'Dot' } },
  ],
  ['JSON nested 100 000 deep', 'PUT', '/collections/c1', nested(100_000)],
  ['objects nested 50 000 deep', 'PUT', '/collections/c1', nestedObject(50_000)],
  [
    'hnsw m of a billion',
    'PUT',
    '/collections/c1',
    { vectors: { size: 4, distance: 'Dot' }, hnsw_config: { m: 1e9 } },
  ],
  [
    'negative ef_construct',
    'PUT',
    '/collections/c1',
    { vectors: { size: 4, distance: 'Dot' }, hnsw_config: { ef_construct: -5 } },
  ],
  // Qdrant points
  [
    'a vector element that is a string',
    'PUT',
    '/collections/kept/points',
    { points: [{ id: 2, vector: ['NaN', 0, 0, 0] }] },
  ],
  [
    'a vector element beyond float range',
    'PUT',
    '/collections/kept/points',
    '{"points":[{"id":2,"vector":[1e309,0,0,0]}]}',
  ],
  [
    'a vector element beyond float32 range',
    'PUT',
    '/collections/kept/points',
    { points: [{ id: 2, vector: [1e39, 0, 0, 0] }] },
  ],
  [
    'a vector of the wrong length',
    'PUT',
    '/collections/kept/points',
    { points: [{ id: 2, vector: [1, 2] }] },
  ],
  ['a negative point id', 'PUT', '/collections/kept/points', { points: [{ id: -1, vector: [1, 0, 0, 0] }] }],
  [
    'a fractional point id',
    'PUT',
    '/collections/kept/points',
    { points: [{ id: 1.5, vector: [1, 0, 0, 0] }] },
  ],
  [
    'a point id beyond 2^64',
    'PUT',
    '/collections/kept/points',
    '{"points":[{"id":18446744073709551616,"vector":[1,0,0,0]}]}',
  ],
  [
    'a malformed UUID',
    'PUT',
    '/collections/kept/points',
    { points: [{ id: 'not-a-uuid', vector: [1, 0, 0, 0] }] },
  ],
  ['points that is not a list', 'PUT', '/collections/kept/points', { points: { id: 2 } }],
  [
    'a payload nested 20 000 deep',
    'PUT',
    '/collections/kept/points',
    `{"points":[{"id":3,"vector":[1,0,0,0],"payload":${nestedObject(20_000)}}]}`,
  ],
  [
    'an unknown filter operator',
    'POST',
    '/collections/kept/points/search',
    { vector: [1, 0, 0, 0], limit: 1, filter: { must: [{ key: 'tag', regex: '.*' }] } },
  ],
  [
    'a filter nested 5000 deep',
    'POST',
    '/collections/kept/points/search',
    `{"vector":[1,0,0,0],"limit":1,"filter":${mustChain(5000)}}`,
  ],
  ['a negative limit', 'POST', '/collections/kept/points/search', { vector: [1, 0, 0, 0], limit: -1 }],
  ['a limit of a billion', 'POST', '/collections/kept/points/search', { vector: [1, 0, 0, 0], limit: 1e9 }],
  [
    'hnsw_ef of a billion',
    'POST',
    '/collections/kept/points/search',
    { vector: [1, 0, 0, 0], limit: 1, params: { hnsw_ef: 1e9 } },
  ],
  [
    'a search vector of the wrong length',
    'POST',
    '/collections/kept/points/search',
    { vector: [1, 0], limit: 1 },
  ],
  [
    'a scroll offset that is an object',
    'POST',
    '/collections/kept/points/scroll',
    { offset: { id: 1 }, limit: 1 },
  ],
  ['a delete filter of the wrong type', 'POST', '/collections/kept/points/delete', { filter: 'tag = a' }],
  [
    'search in a collection that does not exist',
    'POST',
    '/collections/nope/points/search',
    { vector: [1, 0, 0, 0], limit: 1 },
  ],
  ['a text/plain body', 'PUT', '/collections/c2', 'vectors=4', { 'content-type': 'text/plain' }],
  [
    'a body over the limit',
    'PUT',
    '/collections/kept/points',
    { points: [{ id: 9, vector: [1, 0, 0, 0], payload: { big: 'y'.repeat(300_000) } }] },
  ],
  // Open Inference Protocol
  ['V2: malformed JSON', 'POST', '/v2/models/scale/infer', '{"inputs": ['],
  ['V2: inputs not a list', 'POST', '/v2/models/scale/infer', v2({ name: 'x' })],
  ['V2: unknown datatype', 'POST', '/v2/models/scale/infer', v2([x([1, 2], [1, 2], 'FP128')])],
  ['V2: negative dimension', 'POST', '/v2/models/scale/infer', v2([x([1, 2], [-1, 2])])],
  ['V2: a shape of 10^18 elements with no data', 'POST', '/v2/models/scale/infer', v2([x([], [1e9, 1e9])])],
  [
    'V2: data nested 100 000 deep',
    'POST',
    '/v2/models/scale/infer',
    `{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":${nested(100_000)}}]}`,
  ],
  [
    'V2: an integer beyond 2^64 for INT64',
    'POST',
    '/v2/models/scale/infer',
    '{"inputs":[{"name":"x","datatype":"INT64","shape":[1],"data":[99999999999999999999999]}]}',
  ],
  ['V2: path traversal in a model name', 'POST', '/v2/models/..%2F..%2Fetc%2Fpasswd/infer', v2([x([1, 2])])],
  [
    'V2: a model version that is not a number',
    'POST',
    '/v2/models/scale/versions/abc/infer',
    v2([x([1, 2])]),
  ],
  ['V2: model version 0', 'POST', '/v2/models/scale/versions/0/infer', v2([x([1, 2])])],
  [
    'V2: model version 10^30',
    'POST',
    '/v2/models/scale/versions/1000000000000000000000000000000/infer',
    v2([x([1, 2])]),
  ],
  [
    'V2: a binary header length beyond the body',
    'POST',
    '/v2/models/scale/infer',
    '{"inputs":[]}',
    { 'inference-header-content-length': '999999' },
  ],
  [
    'V2: a huge binary_data_size',
    'POST',
    '/v2/models/scale/infer',
    '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"parameters":{"binary_data_size":1e15}}]}',
    { 'inference-header-content-length': '91' },
  ],
  [
    'V2: parameters nested as objects',
    'POST',
    '/v2/models/scale/infer',
    v2([x([1, 2])], { parameters: { a: { b: { c: 1 } } } }),
  ],
  [
    'V2: an output name that is a number',
    'POST',
    '/v2/models/scale/infer',
    v2([x([1, 2])], { outputs: [{ name: 7 }] }),
  ],
  ['V2: loading a model name with traversal', 'POST', '/v2/repository/models/..%2Fsecrets/load'],
  ['V2: loading a model that does not exist', 'POST', '/v2/repository/models/absent/load'],
  [
    'V2: a compressed body',
    'POST',
    '/v2/models/scale/infer',
    v2([x([1, 2])]),
    { 'content-encoding': 'gzip' },
  ],
  // OpenAI-compatible API
  ['OpenAI: input that is an object', 'POST', '/v1/embeddings', { model: 'embedder', input: { text: 'hi' } }],
  ['OpenAI: input nested three deep', 'POST', '/v1/embeddings', { model: 'embedder', input: [[['a']]] }],
  ['OpenAI: a model that does not exist', 'POST', '/v1/embeddings', { model: 'absent', input: 'hi' }],
  ['OpenAI: model as a number', 'POST', '/v1/embeddings', { model: 42, input: 'hi' }],
  [
    'OpenAI: chat with a model that is no chat model',
    'POST',
    '/v1/chat/completions',
    { model: 'embedder', messages: [{ role: 'user', content: 'hi' }] },
  ],
  [
    'OpenAI: messages that is not a list',
    'POST',
    '/v1/chat/completions',
    { model: 'embedder', messages: 'hi' },
  ],
  // GraphQL
  ['GraphQL: malformed JSON', 'POST', '/graphql', '{"query": "{ collections { name }'],
  ['GraphQL: a query that is a number', 'POST', '/graphql', { query: 5 }],
  ['GraphQL: a query that does not parse', 'POST', '/graphql', { query: '{ collections { name ' }],
  ['GraphQL: a field the schema lacks', 'POST', '/graphql', { query: '{ __proto__ { constructor } }' }],
  [
    'GraphQL: selections nested 10 000 deep',
    'POST',
    '/graphql',
    { query: '{ collections '.repeat(10_000) + '{ name }' + ' }'.repeat(10_000) },
  ],
  [
    'GraphQL: introspection 12 levels deep (the limit is 10)',
    'POST',
    '/graphql',
    { query: `{ __schema { types { fields { type ${'{ ofType '.repeat(7)}{ name }${' }'.repeat(7)} } } } }` },
  ],
  [
    'GraphQL: a search with a limit of a billion',
    'POST',
    '/graphql',
    { query: '{ search(collection: "kept", vector: [1, 0, 0, 0], limit: 1000000000) { id } }' },
  ],
  [
    'GraphQL: fragments that spread each other',
    'POST',
    '/graphql',
    { query: '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }' },
  ],
  [
    'GraphQL: variables that are a string',
    'POST',
    '/graphql',
    {
      query: 'query ($n: Int!) { search(collection: "kept", vector: [1], limit: $n) { id } }',
      variables: '{}',
    },
  ],
  [
    'GraphQL: a variable of the wrong type',
    'POST',
    '/graphql',
    {
      query: 'query ($n: Int!) { search(collection: "kept", vector: [1], limit: $n) { id } }',
      variables: { n: 'ten' },
    },
  ],
  [
    'GraphQL: an operation name that is not there',
    'POST',
    '/graphql',
    { query: '{ collections { name } }', operationName: 'Drop' },
  ],
  [
    'GraphQL: a mutation sent with GET',
    'GET',
    `/graphql?query=${encodeURIComponent('mutation { deleteCollection(name: "kept") }')}`,
  ],
  ['GraphQL: a batch of queries', 'POST', '/graphql', [{ query: '{ collections { name } }' }]],
  // Anything else
  ['an unknown route', 'GET', '/etc/passwd'],
  ['an encoded traversal on an unknown route', 'GET', '/%2e%2e/%2e%2e/etc/passwd'],
  ['a method the route does not have', 'DELETE', '/metrics'],
];

describe('hostile and malformed requests', () => {
  for (const [what, method, path, body, headers] of cases) {
    it(`answers 4xx with a code: ${what}`, async () => {
      const response = await send(method, path, body, headers);
      const text = await response.text();
      assert.ok(response.status >= 400 && response.status < 500, `${response.status}: ${text.slice(0, 300)}`);
      const parsed = JSON.parse(text) as Record<string, unknown>;
      const code =
        parsed['code'] ??
        (parsed['status'] as Record<string, unknown> | undefined)?.['code'] ??
        (parsed['error'] as Record<string, unknown> | undefined)?.['code'] ??
        (parsed['errors'] as { extensions?: { code?: unknown } }[] | undefined)?.[0]?.extensions?.code;
      assert.equal(typeof code, 'string', `no code in ${text.slice(0, 300)}`);
    });
  }

  const rawCases: readonly [string, string][] = [
    [
      'a header value with a bare CR (header injection)',
      'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\rSet-Cookie: evil=1\r\n\r\n',
    ],
    ['a header line without a colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n'],
    ['a 100 KB request line', `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['a 64 KB header', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(64 * 1024)}\r\n\r\n`],
    [
      'a malformed chunked body',
      'POST /v2/models/scale/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    ],
    [
      'Content-Length and chunked together (request smuggling)',
      'POST /collections/kept/points/search HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n',
    ],
  ];
  for (const [what, request] of rawCases) {
    it(`answers 4xx at the HTTP layer: ${what}`, async () => {
      const status = await raw(request);
      assert.ok(status >= 400 && status < 500, `status ${status}`);
    });
  }

  it('keeps serving, with its data intact, after all of them', async () => {
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const search = await send('POST', '/collections/kept/points/search', {
      vector: [1, 0, 0, 0],
      limit: 5,
      with_payload: true,
    });
    const body = (await search.json()) as { result: { id: number; payload: unknown }[] };
    assert.deepEqual(
      body.result.map((p) => [p.id, p.payload]),
      [[1, { tag: 'a' }]],
    );
    const infer = await send('POST', '/v2/models/scale/infer', v2([x([1, 2])]));
    assert.equal(infer.status, 200, await infer.clone().text());
    assert.ok(cases.length + rawCases.length >= 50, `${cases.length + rawCases.length} hostile requests`);
  });
});
