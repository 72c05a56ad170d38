/**
 * Authentication, authorization, API key administration, rate limits and the audit log on a
 * started platform with security on (its default), through every REST API family.
 */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { createLogger } from '../src/kernel/index.js';
import { Platform, loadConfig } from '../src/platform/index.js';
import { verifyAuditFile } from '../src/security/index.js';
import { runCli } from './support/cli.js';
import { scaleConfig, scaleHandler, writeModel } from './support/model-repository.js';
import { startPlatform, tempDataDir } from './support/platform.js';

const jwtSecret = 'a-test-secret-of-at-least-32-bytes!!';
let platform: Platform;
let url: string;
let dataDir: string;
let admin: string;

before(async () => {
  dataDir = tempDataDir('security');
  await writeModel(join(dataDir, 'models'), 'scale', scaleConfig(), {
    1: { 'model.js': scaleHandler('security-scale', 2) },
  });
  ({ platform, url } = await startPlatform(dataDir, ['all'], {
    'security.auth.enabled': 'true',
    'security.rateLimit.perKey.burst': '30',
    'security.rateLimit.perKey.ratePerSecond': '0.01',
    'security.identity.jwt.secret': jwtSecret,
  }));
  admin = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
});

after(async () => {
  await platform.shutdown();
});

function call(method: string, path: string, key?: string, body?: unknown, header = 'authorization') {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers[header] = header === 'authorization' ? `Bearer ${key}` : key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(url + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** The stable code of an error answer in any of the API families' shapes. */
async function codeOf(response: Response): Promise<string | undefined> {
  const body = (await response.json()) as Record<string, unknown>;
  const nested = (key: string) => (body[key] as Record<string, unknown> | undefined)?.['code'];
  return (body['code'] ?? nested('status') ?? nested('error')) as string | undefined;
}

async function newKey(roles: string[], name = roles.join('+')): Promise<{ key: string; id: string }> {
  const response = await call('POST', '/admin/keys', admin, { name, roles });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as { key: string; id: string };
}

/** The secret part of `strata_<id>_<secret>` (base64url, which may itself hold `_`). */
const secretOf = (key: string): string => key.slice(key.indexOf('_', 'strata_'.length) + 1);

const infer = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] };

describe('security on a started platform', () => {
  it('created an admin key file readable only by its owner on the first start', async () => {
    assert.equal((await stat(join(dataDir, 'admin.key'))).mode & 0o777, 0o600);
    assert.match(admin, /^strata_[a-z0-9]{12}_[\w-]{43}$/);
  });

  it('refuses every API family without credentials (401 with a code) and serves the public routes', async () => {
    for (const [method, path, body] of [
      ['GET', '/collections'],
      ['POST', '/v2/models/scale/infer', infer],
      ['GET', '/v1/models'],
      ['GET', '/admin/keys'],
    ] as const) {
      const response = await call(method, path, undefined, body);
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(await codeOf(response), 'UNAUTHENTICATED', `${method} ${path}`);
    }
    const forged = await call('GET', '/collections', admin.slice(0, -4) + 'AAAA');
    assert.equal(forged.status, 401);
    for (const path of ['/healthz', '/readyz', '/v2/health/ready', '/metrics']) {
      assert.equal((await call('GET', path)).status, 200, path);
    }
  });

  it('accepts the admin key as a bearer token and as Qdrant clients send it (api-key)', async () => {
    assert.equal((await call('GET', '/collections', admin)).status, 200);
    assert.equal((await call('GET', '/collections', admin, undefined, 'api-key')).status, 200);
    const created = await call('PUT', '/collections/docs', admin, { vectors: { size: 2, distance: 'Dot' } });
    assert.equal(created.status, 200, await created.clone().text());
  });

  it('grants what the roles say: a viewer reads and infers, an editor writes, neither administers', async () => {
    const viewer = await newKey(['viewer']);
    const editor = await newKey(['editor']);
    const search = { vector: [1, 0], limit: 1 };
    assert.equal((await call('POST', '/collections/docs/points/search', viewer.key, search)).status, 200);
    assert.equal((await call('POST', '/v2/models/scale/infer', viewer.key, infer)).status, 200);
    const denied = await call('PUT', '/collections/docs/points', viewer.key, {
      points: [{ id: 1, vector: [1, 0] }],
    });
    assert.equal(denied.status, 403);
    assert.equal(await codeOf(denied), 'PERMISSION_DENIED');
    const upsert = await call('PUT', '/collections/docs/points', editor.key, {
      points: [{ id: 1, vector: [1, 0] }],
    });
    assert.equal(upsert.status, 200, await upsert.clone().text());
    for (const key of [viewer.key, editor.key]) {
      assert.equal((await call('POST', '/v2/repository/models/scale/load', key)).status, 403);
      assert.equal((await call('GET', '/admin/keys', key)).status, 403);
    }
  });

  it('lists keys without secrets, revokes and rotates them', async () => {
    const { key, id } = await newKey(['viewer'], 'to revoke');
    const listing = await (await call('GET', '/admin/keys', admin)).text();
    assert.ok(listing.includes(id) && !listing.includes(secretOf(key)), 'listing shows ids, never secrets');
    assert.equal((await call('DELETE', `/admin/keys/${id}`, admin)).status, 200);
    assert.equal((await call('GET', '/collections', key)).status, 401);

    const rotating = await newKey(['viewer'], 'to rotate');
    const rotated = await call('POST', `/admin/keys/${rotating.id}/rotate`, admin);
    const fresh = ((await rotated.json()) as { key: string }).key;
    assert.equal((await call('GET', '/collections', rotating.key)).status, 401);
    assert.equal((await call('GET', '/collections', fresh)).status, 200);

    const unknownRole = await call('POST', '/admin/keys', admin, { name: 'x', roles: ['root'] });
    assert.equal(unknownRole.status, 400);
    assert.equal((await call('POST', '/admin/keys', admin)).status, 400, 'no body');
  });

  it('verifies JWT bearer tokens: signed ones act with their roles, unsigned and expired ones are refused', async () => {
    const secret = new TextEncoder().encode(jwtSecret);
    const token = (expiresIn: string) =>
      new SignJWT({ tenant: 'default', roles: ['viewer'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(secret);
    assert.equal((await call('GET', '/collections', await token('5m'))).status, 200);
    assert.equal(
      (await call('PUT', '/collections/jwt', await token('5m'), { vectors: { size: 2, distance: 'Dot' } }))
        .status,
      403,
    );
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory', tenant: 'default', roles: ['admin'], exp: 4e9 })}.`;
    assert.equal((await call('GET', '/admin/keys', unsigned)).status, 401);
    const expired = await new SignJWT({ tenant: 'default', roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(secret);
    assert.equal((await call('GET', '/collections', expired)).status, 401);
  });

  it('rate-limits each key: the burst passes, then 429 with Retry-After and RateLimit headers', async () => {
    const { key } = await newKey(['viewer'], 'limited');
    const answers: Response[] = [];
    for (let i = 0; i < 30; i++) answers.push(await call('GET', '/collections', key));
    assert.deepEqual(
      answers.map((r) => r.status),
      answers.map(() => 200),
    );
    assert.equal(answers.at(-1)?.headers.get('ratelimit-limit'), '30');
    assert.equal(answers.at(-1)?.headers.get('ratelimit-remaining'), '0');
    const refused = await call('GET', '/collections', key);
    assert.equal(refused.status, 429);
    assert.equal(await codeOf(refused), 'RATE_LIMITED');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
  });

  it('manages keys with `strata keys`, and `strata models` finds the local admin key', async () => {
    const asAdmin = ['--url', url, '--key', admin];
    const created = await runCli(['keys', 'create', 'ci', '--roles', 'editor', ...asAdmin]);
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^strata_[a-z0-9]{12}_/);
    const id = key.split('_')[1] ?? '';
    assert.equal((await call('GET', '/collections', key)).status, 200);
    const listed = await runCli(['keys', 'list', ...asAdmin]);
    assert.match(listed.stdout, new RegExp(`^${id}\tci\teditor\tactive$`, 'm'));
    assert.ok(!listed.stdout.includes(key), 'list never prints a key');
    const rotated = await runCli(['keys', 'rotate', id, ...asAdmin]);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.equal((await call('GET', '/collections', key)).status, 401);
    assert.equal((await runCli(['keys', 'revoke', id, ...asAdmin])).code, 0);
    assert.equal((await call('GET', '/collections', rotated.stdout.trim())).status, 401);

    const anonymous = await runCli(['models', 'list', '--url', url, '--data-dir', tempDataDir('empty')]);
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /--key/);
    const local = await runCli(['models', 'list', '--url', url, '--data-dir', dataDir]);
    assert.equal(local.code, 0, local.stderr);
    assert.match(local.stdout, /^scale\t1\tREADY/m);
  });

  it('keeps an intact audit chain of key changes, writes, denials and failed logins', async () => {
    const report = await verifyAuditFile(join(dataDir, 'audit', 'audit.jsonl'));
    assert.ok(report.ok, JSON.stringify(report));
    const lines = (await readFile(join(dataDir, 'audit', 'audit.jsonl'), 'utf8')).trim().split('\n');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const seen = (action: string, outcome: string) =>
      records.some((r) => r['action'] === action && r['outcome'] === outcome);
    assert.ok(seen('apikey.create', 'success'));
    assert.ok(seen('apikey.revoke', 'success'));
    assert.ok(seen('apikey.rotate', 'success'));
    assert.ok(seen('createCollection', 'success'));
    assert.ok(seen('upsert', 'success'));
    assert.ok(seen('write', 'denied'));
    assert.ok(seen('auth.authenticate', 'denied'));
    assert.ok(!lines.join('\n').includes(admin), 'the audit log never holds a key');
  });
});

describe('secrets in logs', () => {
  it('never writes a key, a token or the JWT secret to the log, even at debug level', async () => {
    const lines: string[] = [];
    const dir = tempDataDir('security-logs');
    const config = loadConfig({
      flags: {
        target: 'vector',
        dataDir: dir,
        'server.httpPort': '0',
        'server.grpcPort': '0',
        'security.identity.jwt.secret': jwtSecret,
      },
    });
    const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
    const logged = await Platform.create({ config, logger });
    await logged.start();
    try {
      const base = logged.server.httpUrl ?? '';
      const adminKey = (await readFile(join(dir, 'admin.key'), 'utf8')).trim();
      const send = (path: string, headers: Record<string, string>, method = 'GET', body?: unknown) =>
        fetch(base + path, {
          method,
          headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const created = await send('/admin/keys', { authorization: `Bearer ${adminKey}` }, 'POST', {
        name: 'logged',
        roles: ['viewer'],
      });
      const { key, id } = (await created.json()) as { key: string; id: string };
      const rotated = await send(`/admin/keys/${id}/rotate`, { authorization: `Bearer ${adminKey}` }, 'POST');
      const fresh = ((await rotated.json()) as { key: string }).key;
      const token = await new SignJWT({ tenant: 'default', roles: ['viewer'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('logged-user')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(jwtSecret));
      await send('/collections', { authorization: `Bearer ${fresh}` });
      await send('/collections', { 'api-key': fresh });
      await send('/collections', { authorization: `Bearer ${key}` });
      await send('/collections', { authorization: `Bearer ${token}` });
      await send('/collections', { authorization: `Bearer ${token.slice(0, -3)}xyz` });
      await send('/collections', { authorization: 'Bearer strata_notakey' });
      const text = lines.join('');
      assert.ok(text.includes('request completed'), 'the requests were logged');
      for (const secret of [adminKey, key, fresh, token, jwtSecret, secretOf(adminKey)]) {
        assert.ok(!text.includes(secret), `a secret is in the log: ${secret.slice(0, 12)}…`);
      }
    } finally {
      await logged.shutdown();
    }
  });
});
