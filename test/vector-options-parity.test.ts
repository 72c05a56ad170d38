/**
 * Quantization, on-disk vectors and PCA over GraphQL and gRPC (issue 7), at parity with REST:
 * the same scenario — create a quantized, an on-disk and a float32 collection, upsert, search,
 * set PCA, see it in the collection's info and in `explain`, remove it — runs over each protocol
 * against a twin collection made over REST, and answers with the same points and scores; the same
 * refused calls (bad options, unknown collections, a viewer, another tenant) carry the same codes.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  credentials,
  loadPackageDefinition,
  type Client,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoLoadOptions, vectorProtoPath } from '../src/gateway/index.js';
import type { Platform } from '../src/platform/index.js';
import { mulberry32 } from '../src/vector/index.js';
import { callMethod } from './support/grpc.js';
import { createKey, startPlatform, tempDataDir } from './support/platform.js';

type Json = Record<string, unknown>;

const dim = 16;
const random = mulberry32(41);
const vectors = Array.from({ length: 300 }, () => Array.from({ length: dim }, () => random() * 2 - 1));
const queries = vectors.slice(0, 6).map((v) => v.map((x) => x + (random() - 0.5) * 0.2));
const points = vectors.map((vector, id) => ({ id, vector, payload: { group: id % 3 } }));
const int8 = { scalar: { type: 'int8', quantile: 0.99 } };
const hnsw = { m: 8, ef_construct: 64, full_scan_threshold: 10 };

interface Options {
  readonly quantization?: Json;
  readonly onDisk?: boolean;
}
interface Hit {
  readonly id: number | string;
  readonly score: number;
}
/** What each protocol shows of a collection's options, in one shape. */
interface Shown {
  readonly quantization: unknown;
  readonly onDisk: boolean;
  readonly pca: { components: number; dimension: number; oversampling: number } | null;
}
interface Pca {
  readonly components: number;
  readonly sample?: number;
  readonly oversampling?: number;
  readonly seed?: number;
}

/** One protocol as its own client calls it; a refused call rejects with a CodedError. */
interface Protocol {
  create(name: string, options: Options): Promise<void>;
  upsert(name: string): Promise<void>;
  search(name: string, vector: readonly number[]): Promise<{ hits: Hit[]; reducedTo: number | null }>;
  info(name: string): Promise<Shown>;
  setPca(name: string, pca: Pca): Promise<void>;
  removePca(name: string): Promise<void>;
}

class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof CodedError) return error.code;
    throw error;
  }
  assert.fail('the call succeeded');
}

let platform: Platform;
let url: string;
let admin: string;

function rest(key: string): Protocol {
  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as Json & { status: { code: string; error: string } | string };
    if (typeof json.status !== 'string') throw new CodedError(json.status.code, json.status.error);
    return json;
  };
  return {
    create: async (name, { quantization, onDisk }) => {
      await call('PUT', `/collections/${name}`, {
        vectors: { size: dim, distance: 'Cosine', ...(onDisk === undefined ? {} : { on_disk: onDisk }) },
        hnsw_config: hnsw,
        ...(quantization === undefined ? {} : { quantization_config: quantization }),
      });
    },
    upsert: async (name) => {
      await call('PUT', `/collections/${name}/points?wait=true`, { points });
    },
    search: async (name, vector) => {
      const json = await call('POST', `/collections/${name}/points/search`, {
        vector,
        limit: 5,
        params: { hnsw_ef: 64, explain: true },
      });
      const explain = json['explain'] as { reduced_to: number | null };
      return { hits: hitsOf(json['result'] as Hit[]), reducedTo: explain.reduced_to };
    },
    info: async (name) => shownOf((await call('GET', `/collections/${name}`))['result'] as Json),
    setPca: async (name, pca) => {
      await call('PUT', `/collections/${name}/pca`, pca);
    },
    removePca: async (name) => {
      await call('DELETE', `/collections/${name}/pca`);
    },
  };
}

function graphql(key: string): Protocol {
  const call = async (query: string, variables: Json): Promise<Json> => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const json = (await response.json()) as {
      data?: Json | null;
      errors?: { message: string; extensions: { code: string } }[];
    };
    const [error] = json.errors ?? [];
    if (error !== undefined) throw new CodedError(error.extensions.code, error.message);
    return json.data ?? {};
  };
  return {
    create: async (name, { quantization, onDisk }) => {
      await call(
        `mutation ($name: String!, $dim: Int!, $hnsw: JSON, $quantization: JSON, $onDisk: Boolean) {
          createCollection(name: $name, dimension: $dim, distance: Cosine, hnswConfig: $hnsw,
            quantizationConfig: $quantization, onDisk: $onDisk) { name }
        }`,
        { name, dim, hnsw, quantization, onDisk },
      );
    },
    upsert: async (name) => {
      await call(
        `mutation ($name: String!, $points: [PointInput!]!) {
          upsertPoints(collection: $name, points: $points) { status }
        }`,
        { name, points },
      );
    },
    search: async (name, vector) => {
      const data = await call(
        `query ($name: String!, $vector: [Float!]!) {
          explainSearch(collection: $name, vector: $vector, limit: 5, hnswEf: 64) {
            points { id score }
            explain { reducedTo }
          }
        }`,
        { name, vector },
      );
      const { points: hits, explain } = data['explainSearch'] as {
        points: Hit[];
        explain: { reducedTo: number | null };
      };
      return { hits: hitsOf(hits), reducedTo: explain.reducedTo };
    },
    info: async (name) => {
      const data = await call(
        `query ($name: String!) {
          collection(name: $name) {
            info { quantizationConfig onDisk pca { components dimension oversampling explainedVarianceRatio } }
          }
        }`,
        { name },
      );
      const { info } = data['collection'] as { info: { quantizationConfig: unknown } & Shown };
      if (info.pca !== null) assert.ok((info.pca as Json)['explainedVarianceRatio'] !== undefined);
      return {
        quantization: info.quantizationConfig,
        onDisk: info.onDisk,
        pca:
          info.pca === null
            ? null
            : {
                components: info.pca.components,
                dimension: info.pca.dimension,
                oversampling: info.pca.oversampling,
              },
      };
    },
    setPca: async (name, pca) => {
      const data = await call(
        `mutation ($name: String!, $components: Int!, $sample: Int, $oversampling: Int, $seed: Float) {
          setPca(collection: $name, components: $components, sample: $sample, oversampling: $oversampling,
            seed: $seed) { name info { pca { components } } }
        }`,
        { name, ...pca },
      );
      // The mutation answers with the collection, already reduced.
      const set = data['setPca'] as { name: string; info: { pca: { components: number } } };
      assert.deepEqual(set, { name, info: { pca: { components: pca.components } } });
    },
    removePca: async (name) => {
      const data = await call('mutation ($name: String!) { removePca(collection: $name) }', { name });
      assert.equal(data['removePca'], true);
    },
  };
}

const definition = loadPackageDefinition(loadSync(vectorProtoPath, protoLoadOptions));
const Service = ((definition['strata'] as Record<string, Record<string, Record<string, unknown>>>)[
  'vector'
]?.['v1']?.['VectorService'] ?? assert.fail('VectorService in the proto')) as ServiceClientConstructor;
const grpcClients: Client[] = [];

function grpc(key: string): Protocol {
  const port = platform.server.grpc.port;
  assert.ok(port !== undefined, 'the gRPC port is bound');
  const client = new Service(`127.0.0.1:${port}`, credentials.createInsecure());
  grpcClients.push(client);
  const call = async <T>(method: string, request: Json): Promise<T> => {
    try {
      return await callMethod<T>(client, method, request, { authorization: `Bearer ${key}` });
    } catch (error) {
      const { metadata, details } = error as { metadata: { get(key: string): unknown[] }; details: string };
      const [code] = metadata.get('strata-error-code');
      throw new CodedError(String(code), details);
    }
  };
  return {
    create: async (name, { quantization, onDisk }) => {
      await call('CreateCollection', {
        collection_name: name,
        size: dim,
        distance: 'Cosine',
        hnsw_config_json: JSON.stringify(hnsw),
        ...(quantization === undefined ? {} : { quantization_config_json: JSON.stringify(quantization) }),
        ...(onDisk === undefined ? {} : { on_disk: onDisk }),
      });
    },
    upsert: async (name) => {
      await call('Upsert', {
        collection_name: name,
        points: points.map(({ id, vector, payload }) => ({
          id: { num: String(id) },
          vector,
          payload_json: JSON.stringify(payload),
        })),
      });
    },
    search: async (name, vector) => {
      const answer = await call<{ points: { id: { num: string }; score: number }[]; explain_json: string }>(
        'Search',
        { collection_name: name, vector, limit: 5, explain: true },
      );
      const explain = JSON.parse(answer.explain_json) as { reduced_to: number | null };
      const hits = answer.points.map(({ id, score }) => ({ id: Number(id.num), score }));
      return { hits: hitsOf(hits), reducedTo: explain.reduced_to };
    },
    info: async (name) => {
      const { info_json } = await call<{ info_json: string }>('GetCollection', { collection_name: name });
      return shownOf(JSON.parse(info_json) as Json);
    },
    setPca: async (name, pca) => {
      const answer = await call<{ status: string }>('SetPca', { collection_name: name, ...pca });
      assert.equal(answer.status, 'completed');
    },
    removePca: async (name) => {
      await call('RemovePca', { collection_name: name });
    },
  };
}

function hitsOf(hits: readonly Hit[]): Hit[] {
  return hits.map(({ id, score }) => ({ id, score }));
}

/** Qdrant's collection info, as the Shown shape. */
function shownOf(info: Json): Shown {
  const config = info['config'] as {
    params: { vectors: { on_disk?: boolean } };
    quantization_config: unknown;
    pca_config: { components: number; dimension: number; oversampling: number } | null;
  };
  const { pca_config: pca } = config;
  return {
    quantization: config.quantization_config,
    onDisk: config.params.vectors.on_disk ?? false,
    pca:
      pca === null
        ? null
        : { components: pca.components, dimension: pca.dimension, oversampling: pca.oversampling },
  };
}

/** Hits equal to the twin's: the same ids in the same order, scores within float32 rounding. */
function assertSameHits(got: readonly Hit[], want: readonly Hit[], label: string): void {
  assert.deepEqual(
    got.map(({ id }) => id),
    want.map(({ id }) => id),
    label,
  );
  got.forEach(({ score }, i) => {
    assert.ok(Math.abs(score - (want[i]?.score ?? NaN)) < 1e-5, `${label}: ${score} vs ${want[i]?.score}`);
  });
}

async function searchAll(protocol: Protocol, name: string) {
  return Promise.all(queries.map((query) => protocol.search(name, query)));
}

before(async () => {
  const dataDir = tempDataDir('vector-options-parity');
  ({ platform, url } = await startPlatform(dataDir, ['all'], { 'security.auth.enabled': 'true' }));
  admin = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
  const twin = rest(admin);
  for (const [name, options] of [
    ['rest_int8', { quantization: int8 }],
    ['rest_disk', { quantization: int8, onDisk: true }],
    ['rest_flat', {}],
  ] as const) {
    await twin.create(name, options);
    await twin.upsert(name);
  }
});

after(async () => {
  for (const client of grpcClients) client.close();
  await platform.shutdown();
});

for (const [label, protocolFor] of [
  ['GraphQL', graphql],
  ['gRPC', grpc],
] as const) {
  describe(`quantization, on_disk and PCA over ${label}, as over REST`, () => {
    const prefix = label.toLowerCase();
    let protocol: Protocol;
    let twin: Protocol;

    before(() => {
      protocol = protocolFor(admin);
      twin = rest(admin);
    });

    it('creates quantized and on-disk collections that search as their REST twins', async () => {
      for (const [kind, options] of [
        ['int8', { quantization: int8 }],
        ['disk', { quantization: int8, onDisk: true }],
      ] as const) {
        const name = `${prefix}_${kind}`;
        await protocol.create(name, options);
        await protocol.upsert(name);
        const shown = await protocol.info(name);
        assert.deepEqual(shown, await twin.info(`rest_${kind}`));
        assert.deepEqual(shown, { quantization: int8, onDisk: kind === 'disk', pca: null });
        const got = await searchAll(protocol, name);
        const want = await searchAll(twin, `rest_${kind}`);
        got.forEach(({ hits, reducedTo }, i) => {
          assert.equal(reducedTo, null);
          assertSameHits(hits, want[i]?.hits ?? [], `${name} query ${i}`);
        });
      }
    });

    it('sets PCA, shows it in info and explain, searches as the REST twin, and removes it', async () => {
      const name = `${prefix}_flat`;
      await protocol.create(name, {});
      await protocol.upsert(name);
      // A seed above GraphQL's Int, which every protocol takes as REST does.
      const pca = { components: 6, sample: 200, seed: 4_000_000_000 };
      await protocol.setPca(name, pca);
      await twin.setPca('rest_flat', pca);
      const shown = await protocol.info(name);
      assert.deepEqual(shown.pca, { components: 6, dimension: dim, oversampling: 4 });
      assert.deepEqual(shown, await twin.info('rest_flat'));
      const got = await searchAll(protocol, name);
      const want = await searchAll(twin, 'rest_flat');
      got.forEach(({ hits, reducedTo }, i) => {
        assert.equal(reducedTo, 6);
        assertSameHits(hits, want[i]?.hits ?? [], `${name} query ${i}`);
      });

      await protocol.removePca(name);
      await twin.removePca('rest_flat');
      assert.equal((await protocol.info(name)).pca, null);
      const full = await searchAll(protocol, name);
      const fullTwin = await searchAll(twin, 'rest_flat');
      full.forEach(({ hits, reducedTo }, i) => {
        assert.equal(reducedTo, null);
        assertSameHits(hits, fullTwin[i]?.hits ?? [], `${name} query ${i} without PCA`);
      });
    });

    it('refuses what REST refuses, with the same codes', async () => {
      const flat = `${prefix}_flat`;
      const refused: [string, (p: Protocol) => Promise<unknown>][] = [
        ['on_disk without quantization', (p) => p.create(`${prefix}_bad`, { onDisk: true })],
        ['an unknown quantization', (p) => p.create(`${prefix}_bad`, { quantization: { product: {} } })],
        ['components 0', (p) => p.setPca(flat, { components: 0 })],
        ['components = dimension', (p) => p.setPca(flat, { components: dim })],
        ['oversampling 0', (p) => p.setPca(flat, { components: 2, oversampling: 0 })],
        ['PCA on a quantized collection', (p) => p.setPca(`${prefix}_int8`, { components: 2 })],
        ['PCA on an unknown collection', (p) => p.setPca('missing', { components: 2 })],
        ['removing PCA it does not have', (p) => p.removePca(flat)],
        ['removing PCA of an unknown collection', (p) => p.removePca('missing')],
      ];
      for (const [what, attempt] of refused) {
        const want = await codeOf(attempt(twin));
        assert.equal(await codeOf(attempt(protocol)), want, what);
      }
      assert.equal(await codeOf(protocol.create(`${prefix}_bad`, { onDisk: true })), 'INVALID_ARGUMENT');
      assert.equal(await codeOf(protocol.setPca('missing', { components: 2 })), 'NOT_FOUND');
      assert.equal(await codeOf(protocol.removePca(flat)), 'NOT_FOUND');
      assert.equal((await protocol.info(flat)).pca, null, 'a refused call changed nothing');
    });

    it('refuses a viewer and keeps another tenant out', async () => {
      const flat = `${prefix}_flat`;
      const viewer = protocolFor(
        await createKey(url, admin, { name: `${prefix} viewer`, roles: ['viewer'] }),
      );
      assert.deepEqual((await viewer.info(flat)).pca, null, 'a viewer reads');
      for (const attempt of [
        viewer.create(`${prefix}_viewer`, { quantization: int8 }),
        viewer.setPca(flat, { components: 2 }),
        viewer.removePca(flat),
      ]) {
        assert.equal(await codeOf(attempt), 'PERMISSION_DENIED');
      }
      const other = protocolFor(
        await createKey(url, admin, { tenant: `${prefix}-other`, name: 'other admin', roles: ['admin'] }),
      );
      // Another tenant's names are its own: this tenant's collections are not there.
      assert.equal(await codeOf(other.info(flat)), 'NOT_FOUND');
      assert.equal(await codeOf(other.setPca(flat, { components: 2 })), 'NOT_FOUND');
      assert.equal(await codeOf(other.removePca(flat)), 'NOT_FOUND');
      // Its own collection of the same name is a different one, and leaves this one alone.
      await other.create(flat, { quantization: int8, onDisk: true });
      assert.deepEqual((await other.info(flat)).onDisk, true);
      assert.deepEqual(await protocol.info(flat), { quantization: null, onDisk: false, pca: null });
    });
  });
}
