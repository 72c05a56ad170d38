/**
 * Failed authentications counted per client address (`security.rateLimit.failedAuthentications`,
 * docs/decisions/0019) on a started platform: past its burst an address gets 429 without its
 * credentials being checked or audited, in REST and gRPC alike, while keys verified before still
 * pass; behind a trusted proxy each forwarded client has its own bucket.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  credentials as grpcCredentials,
  loadPackageDefinition,
  status,
  type Client,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoLoadOptions, vectorProtoPath } from '../src/gateway/index.js';
import type { Platform } from '../src/platform/index.js';
import { callMethod } from './support/grpc.js';
import { createKey, startPlatform, tempDataDir } from './support/platform.js';

const burst = 3;
let platform: Platform;
let url: string;
let dataDir: string;
let admin: string;

before(async () => {
  dataDir = tempDataDir('failed-authentications');
  ({ platform, url } = await startPlatform(dataDir, ['all'], {
    'security.auth.enabled': 'true',
    'security.rateLimit.failedAuthentications.burst': String(burst),
    // One token back every 1000 s: nothing refills while the test runs.
    'security.rateLimit.failedAuthentications.ratePerSecond': '0.001',
    'server.trustProxy': 'loopback',
  }));
  admin = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
});

after(async () => {
  await platform.shutdown();
});

/** GET /collections as the client `from`, forwarded by the (loopback) proxy; none: sent directly. */
function list(key: string | undefined, from?: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers['authorization'] = `Bearer ${key}`;
  if (from !== undefined) headers['x-forwarded-for'] = from;
  return fetch(`${url}/collections`, { headers });
}

async function codeOf(response: Response): Promise<unknown> {
  const body = (await response.json()) as { status?: { code?: unknown } };
  return body.status?.code;
}

/** How many failed logins the audit log holds. */
async function auditedFailures(): Promise<number> {
  const text = await readFile(join(dataDir, 'audit', 'audit.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .filter((line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      return record['action'] === 'auth.authenticate' && record['outcome'] === 'denied';
    }).length;
}

/** A well-formed key this server never issued. */
const guessed = (n: number): string => `strata_${'0123456789ab'.slice(0, 11)}${n}_${'A'.repeat(43)}`;

describe('failed authentications per client address', () => {
  it('answers a burst of failures 401, then 429 without checking or auditing', async () => {
    const client = '203.0.113.7';
    const fresh = await createKey(url, admin, { name: 'never used', roles: ['viewer'] });
    // Verified after the key store's last change (a change forgets the keys verified before it).
    assert.equal((await list(admin, client)).status, 200);
    const audited = await auditedFailures();

    for (let i = 0; i < burst; i++) {
      const refused = await list(guessed(i), client);
      assert.equal(refused.status, 401, `failure ${i + 1}`);
      assert.equal(await codeOf(refused), 'UNAUTHENTICATED');
    }
    // The burst is spent: the next failure is still checked and answered 401, and empties the bucket.
    assert.equal((await list(guessed(burst), client)).status, 401);
    const throttled = await list(guessed(burst + 1), client);
    assert.equal(throttled.status, 429);
    assert.equal(await codeOf(throttled), 'RATE_LIMITED');
    assert.ok(Number(throttled.headers.get('retry-after')) > 0, 'Retry-After says when to come back');
    assert.equal((await list(undefined, client)).status, 429, 'no credentials are refused alike');
    assert.equal((await list(fresh, client)).status, 429, 'a key never verified is not checked either');
    assert.equal((await list(admin, client)).status, 200, 'a key verified before still passes');
    assert.equal(await auditedFailures(), audited + burst + 1, 'only the checked failures are audited');
  });

  it('keeps one bucket per forwarded client', async () => {
    assert.equal((await list(guessed(0), '203.0.113.8')).status, 401);
    assert.equal((await list(guessed(0), '198.51.100.20, 203.0.113.9')).status, 401);
  });

  it('counts gRPC calls from the same address in the same bucket', async () => {
    const definition = loadPackageDefinition(loadSync(vectorProtoPath, protoLoadOptions));
    const Service = (definition['strata'] as Record<string, Record<string, Record<string, unknown>>>)[
      'vector'
    ]?.['v1']?.['VectorService'] as ServiceClientConstructor;
    const client: Client = new Service(
      `127.0.0.1:${platform.server.grpc.port ?? 0}`,
      grpcCredentials.createInsecure(),
    );
    const call = (key: string) =>
      callMethod(client, 'ListCollections', {}, { authorization: `Bearer ${key}` }).then(
        () => status.OK,
        (error: unknown) => (error as ServiceError).code,
      );
    try {
      // Direct loopback connections are one client, 127.0.0.1, whichever API they use.
      for (let i = 0; i <= burst; i++) assert.equal((await list(guessed(i))).status, 401);
      assert.equal(await call(guessed(9)), status.RESOURCE_EXHAUSTED);
      assert.equal(await call(admin), status.OK, 'the remembered admin key still passes over gRPC');
    } finally {
      client.close();
    }
  });
});
