/**
 * Tenants' quotas (issue 5, `security.quotas`) on a started platform: requests per day, inference
 * items per day and stored vectors, each refused with its code once used up, and only for the
 * tenant whose quota it is; and a route class's bucket (`security.rateLimit.perRouteClass`).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Platform } from '../src/platform/index.js';
import { scaleConfig, scaleHandler, writeModel } from './support/model-repository.js';
import { startPlatform, tempDataDir } from './support/platform.js';

let platform: Platform;
let url: string;
let owner: string;
const keys: Record<string, string> = {};

async function call(method: string, path: string, key: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(url + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function expectStatus(response: Response, status: number, code?: string): Promise<void> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  if (code !== undefined) assert.match(text, new RegExp(`"${code}"`));
}

const rows = (n: number) => ({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [n, 2], data: Array.from({ length: 2 * n }, () => 1) }],
});
const points = (...ids: number[]) => ({ points: ids.map((id) => ({ id, vector: [1, 0] })) });

before(async () => {
  const dataDir = tempDataDir('quotas');
  await writeModel(join(dataDir, 'models'), 'scale', scaleConfig({ tenants: ['*'] }), {
    1: { 'model.js': scaleHandler('quotas-scale', 2) },
  });
  ({ platform, url } = await startPlatform(dataDir, ['all'], {
    'security.auth.enabled': 'true',
    'serving.startupModels': 'scale',
    'security.rateLimit.perRouteClass.inference.ratePerSecond': '0.001',
    'security.rateLimit.perRouteClass.inference.burst': '4',
    'security.quotas.tenants': JSON.stringify({
      tiny: { requestsPerDay: 3 },
      small: { inferenceItemsPerDay: 5, storedVectors: 3 },
      racing: { storedVectors: 10 },
    }),
  }));
  owner = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
  for (const tenant of ['tiny', 'small', 'bursty', 'racing']) {
    const response = await call('POST', '/admin/keys', owner, { tenant, name: tenant, roles: ['admin'] });
    assert.equal(response.status, 201);
    keys[tenant] = ((await response.json()) as { key: string }).key;
  }
});

after(async () => {
  await platform.shutdown();
});

describe('quotas', () => {
  it('takes a route class’s bucket per tenant: inference refused past its burst, other routes served', async () => {
    const key = keys['bursty'] ?? '';
    for (let i = 0; i < 4; i++)
      await expectStatus(await call('POST', '/v2/models/scale/infer', key, rows(1)), 200);
    const refused = await call('POST', '/v2/models/scale/infer', key, rows(1));
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.match(await refused.clone().text(), /inference rate limit of tenant bursty/);
    await expectStatus(refused, 429, 'RATE_LIMITED');
    await expectStatus(await call('GET', '/collections', key), 200);
  });

  it('refuses requests past the tenant’s daily request quota with 429 and Retry-After until midnight UTC', async () => {
    const key = keys['tiny'] ?? '';
    for (let i = 0; i < 3; i++) await expectStatus(await call('GET', '/collections', key), 200);
    const refused = await call('GET', '/collections', key);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 86_400, `Retry-After ${String(retryAfter)}`);
    await expectStatus(refused, 429, 'RATE_LIMITED');
    await expectStatus(await call('GET', '/collections', owner), 200);
  });

  it('counts inference rows against the daily item quota, refusing the request that would pass it', async () => {
    const key = keys['small'] ?? '';
    await expectStatus(await call('POST', '/v2/models/scale/infer', key, rows(2)), 200);
    await expectStatus(await call('POST', '/v2/models/scale/infer', key, rows(3)), 200);
    await expectStatus(await call('POST', '/v2/models/scale/infer', key, rows(1)), 429, 'RATE_LIMITED');
    await expectStatus(await call('POST', '/v2/models/scale/infer', owner, rows(8)), 200);
  });

  it('refuses upserts that would store more vectors than the tenant’s quota, and not overwrites', async () => {
    const key = keys['small'] ?? '';
    await expectStatus(
      await call('PUT', '/collections/a', key, { vectors: { size: 2, distance: 'Dot' } }),
      200,
    );
    await expectStatus(
      await call('PUT', '/collections/b', key, { vectors: { size: 2, distance: 'Dot' } }),
      200,
    );
    await expectStatus(await call('PUT', '/collections/a/points?wait=true', key, points(1, 2)), 200);
    await expectStatus(
      await call('PUT', '/collections/b/points?wait=true', key, points(1, 2)),
      429,
      'QUOTA_EXCEEDED',
    );
    await expectStatus(await call('PUT', '/collections/b/points?wait=true', key, points(1)), 200);
    await expectStatus(await call('PUT', '/collections/a/points?wait=true', key, points(1, 2)), 200);
    await expectStatus(
      await call('PUT', '/collections/a/points?wait=true', key, points(3)),
      429,
      'QUOTA_EXCEEDED',
    );
    await expectStatus(
      await call('POST', '/collections/a/points/delete?wait=true', key, { points: [1] }),
      200,
    );
    await expectStatus(await call('PUT', '/collections/a/points?wait=true', key, points(3)), 200);
    await expectStatus(
      await call('PUT', '/collections/c', owner, { vectors: { size: 2, distance: 'Dot' } }),
      200,
    );
    await expectStatus(
      await call('PUT', '/collections/c/points?wait=true', owner, points(1, 2, 3, 4, 5)),
      200,
    );
  });

  it('counts upserts still being written against the stored-vectors quota, so racing ones cannot pass it', async () => {
    const key = keys['racing'] ?? '';
    for (const name of ['r1', 'r2']) {
      await expectStatus(
        await call('PUT', `/collections/${name}`, key, { vectors: { size: 2, distance: 'Dot' } }),
        200,
      );
    }
    // Eight writes of 3 new points each, sent at once: the first three fit the quota of 10.
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(
          'PUT',
          `/collections/r${1 + (i % 2)}/points?wait=true`,
          key,
          points(3 * i, 3 * i + 1, 3 * i + 2),
        ),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    assert.equal(statuses.filter((s) => s === 200).length, 3, JSON.stringify(statuses));
    assert.equal(statuses.filter((s) => s === 429).length, 5, JSON.stringify(statuses));
    let stored = 0;
    for (const name of ['r1', 'r2']) {
      const info = (await (await call('GET', `/collections/${name}`, key)).json()) as {
        result: { points_count: number };
      };
      stored += info.result.points_count;
    }
    assert.equal(stored, 9);
  });
});
