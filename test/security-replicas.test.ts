/**
 * Three `strata start` processes, each with its own data directory and ports, sharing one Redis
 * (rate limits) and one PostgreSQL table (API keys), as replicas behind a load balancer: they
 * admit exactly the configured burst of one key together, and a key revoked through one is refused
 * by the others within `security.identity.keyCacheMs`. Each run has its own table and Redis key
 * prefix, removed afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { backendUrls, connectRedis, requireBackend } from './support/backends.js';
import { Child, cliPath } from './support/cli.js';

const urls = backendUrls();
const run = randomBytes(6).toString('hex');
const keyTable = `strata_api_keys_replicas_${run}`;
const redisKeyPrefix = `strata-test:replicas:${run}:`;
const burst = 30;
const keyCacheMs = 1000;

interface Replica {
  readonly child: Child;
  readonly dataDir: string;
  readonly url: string;
}

let started: Promise<Replica[]> | undefined;
const children: Child[] = [];
const dataDirs: string[] = [];

/** The three running replicas, started on the first call; undefined when a backend is missing. */
async function replicas(t: TestContext): Promise<Replica[] | undefined> {
  const redis = await connectRedis(t, urls.redis);
  if (redis === undefined) return undefined;
  await redis.quit();
  const pool = new pg.Pool({ connectionString: urls.postgres, connectionTimeoutMillis: 3000 });
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    requireBackend(t, 'PostgreSQL', urls.postgres, error);
    return undefined;
  } finally {
    await pool.end();
  }
  started ??= Promise.all(Array.from({ length: 3 }, () => startReplica()));
  return started;
}

async function startReplica(): Promise<Replica> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-replica-'));
  dataDirs.push(dataDir);
  const settings = {
    'server.httpPort': '0',
    'server.grpcPort': '0',
    'security.identity.keyStore': 'postgres',
    'security.identity.keyTable': keyTable,
    'security.identity.keyCacheMs': String(keyCacheMs),
    'security.rateLimit.backend': 'redis',
    'security.rateLimit.redisKeyPrefix': redisKeyPrefix,
    'security.rateLimit.perKey.burst': String(burst),
    'security.rateLimit.perKey.ratePerSecond': '0.001',
  };
  const child = new Child(
    cliPath,
    [
      'start',
      '--target',
      'vector',
      '--data-dir',
      dataDir,
      ...Object.entries(settings).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
    ],
    { STRATA_BACKENDS_POSTGRES_URL: urls.postgres, STRATA_BACKENDS_REDIS_URL: urls.redis },
  );
  children.push(child);
  const url = await child.httpUrl();
  await child.waitForLog(/^Strata is ready$/);
  return { child, dataDir, url };
}

after(async () => {
  for (const child of children) child.process.kill('SIGTERM');
  await Promise.all(children.map((child) => child.exited()));
  if (started !== undefined) await cleanUp();
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function cleanUp(): Promise<void> {
  const pool = new pg.Pool({ connectionString: urls.postgres });
  try {
    await pool.query(`DROP TABLE IF EXISTS "${keyTable}"`);
  } finally {
    await pool.end();
  }
  const redis = new Redis(urls.redis, { maxRetriesPerRequest: 0 });
  try {
    const scan = redis.scanStream({ match: `${redisKeyPrefix}*`, count: 1000 });
    for await (const keys of scan as AsyncIterable<string[]>) if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

function call(url: string, method: string, path: string, key: string, body?: unknown): Promise<Response> {
  return fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** The admin key the first start wrote: exactly one replica created it, the others wrote nothing. */
async function adminKey(all: readonly Replica[]): Promise<string> {
  const files = await Promise.all(
    all.map((replica) => readFile(join(replica.dataDir, 'admin.key'), 'utf8').catch(() => undefined)),
  );
  const written = files.filter((file) => file !== undefined);
  assert.equal(written.length, 1, 'one replica wrote admin.key');
  return written[0]?.trim() ?? '';
}

async function createKey(
  replica: Replica,
  admin: string,
  name: string,
): Promise<{ key: string; id: string }> {
  const response = await call(replica.url, 'POST', '/admin/keys', admin, { name, roles: ['viewer'] });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as { key: string; id: string };
}

describe('three replicas sharing Redis and PostgreSQL', () => {
  it('create one admin key on a first start together, and admit exactly the burst of a key between them', async (t) => {
    const all = await replicas(t);
    if (all === undefined) return;
    const admin = await adminKey(all);
    for (const replica of all) {
      const listed = await call(replica.url, 'GET', '/admin/keys', admin);
      const { keys } = (await listed.json()) as { keys: { name: string }[] };
      assert.deepEqual(
        keys.map((record) => record.name),
        ['admin (first start)'],
      );
    }
    const { key } = await createKey(all[0] ?? assert.fail(), admin, 'limited');
    const answers = await Promise.all(
      Array.from({ length: 3 * burst }, (_, i) => call(all[i % 3]?.url ?? '', 'GET', '/collections', key)),
    );
    const admitted = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status === 429);
    assert.equal(admitted.length, burst, `statuses: ${answers.map((a) => a.status).join(' ')}`);
    assert.equal(refused.length, 2 * burst);
    for (const answer of refused) {
      const body = (await answer.json()) as { status?: { code?: string } };
      assert.equal(body.status?.code, 'RATE_LIMITED', JSON.stringify(body));
      assert.ok(Number(answer.headers.get('retry-after')) > 0);
    }
  });

  it('refuse a key revoked through one replica in the others within keyCacheMs', async (t) => {
    const all = await replicas(t);
    if (all === undefined) return;
    const [first, second, third] = all;
    assert.ok(first !== undefined && second !== undefined && third !== undefined);
    const admin = await adminKey(all);
    const { key, id } = await createKey(first, admin, 'revoked');
    // Verified, so remembered, in the other two.
    for (const replica of [second, third]) {
      assert.equal((await call(replica.url, 'GET', '/collections', key)).status, 200);
    }
    const revokedAt = performance.now();
    assert.equal((await call(first.url, 'DELETE', `/admin/keys/${id}`, admin)).status, 200);
    assert.equal((await call(first.url, 'GET', '/collections', key)).status, 401, 'at once where revoked');
    for (const replica of [second, third]) {
      let status: number;
      while ((status = (await call(replica.url, 'GET', '/collections', key)).status) === 200) await sleep(50);
      assert.equal(status, 401);
      const elapsed = performance.now() - revokedAt;
      // The bound, plus what a busy machine may add to a request and one poll.
      assert.ok(elapsed < keyCacheMs + 1000, `refused after ${Math.round(elapsed)} ms`);
    }
  });
});
