import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { FileApiKeyStore } from './file-api-key-store.js';

const keyShape = /^strata_[0-9a-hjkmnp-tv-z]{12}_[A-Za-z0-9_-]{43}$/;

async function rejects(promise: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isStrataError(error));
    assert.equal(error.code, 'UNAUTHENTICATED');
    assert.equal(error.details?.['reason'], reason);
    return true;
  });
}

describe('FileApiKeyStore', () => {
  let root: string;
  let count = 0;
  const directory = () => join(root, `store-${++count}`);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'strata-api-keys-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('issues a key once and verifies it as an identity', async () => {
    const store = await FileApiKeyStore.open(directory());
    const { key, record } = await store.create({
      tenant: 'acme',
      name: 'ci',
      roles: ['editor'],
      scopes: ['read:*'],
    });
    assert.match(key, keyShape);
    assert.ok(key.startsWith(`strata_${record.id}_`));
    assert.deepEqual(await store.verify(key), {
      subject: `api-key:${record.id}`,
      tenant: 'acme',
      roles: ['editor'],
      scopes: ['read:*'],
      via: 'api-key',
    });
  });

  it('stores only the SHA-256 of the key, in a file only its owner can read', async () => {
    const dir = directory();
    const store = await FileApiKeyStore.open(dir);
    const { key } = await store.create({ tenant: 'acme', name: 'ci', roles: ['viewer'] });
    const file = await readFile(store.path, 'utf8');
    const secret = key.slice('strata_'.length + 13);
    assert.ok(!file.includes(secret));
    assert.ok(file.includes(createHash('sha256').update(key).digest('hex')));
    if (process.platform !== 'win32') assert.equal((await stat(store.path)).mode & 0o777, 0o600);
  });

  it('lists and gets keys without hashes or secrets, filtered by tenant', async () => {
    const store = await FileApiKeyStore.open(directory());
    const a = await store.create({ tenant: 'acme', name: 'a', roles: ['viewer'] });
    const b = await store.create({ tenant: 'other', name: 'b', roles: ['admin'] });
    const all = await store.list();
    assert.deepEqual(all.map((record) => record.id).sort(), [a.record.id, b.record.id].sort());
    assert.deepEqual(await store.list('acme'), [a.record]);
    assert.deepEqual(await store.get(b.record.id), b.record);
    for (const record of all) {
      assert.deepEqual(Object.keys(record).sort(), ['createdAt', 'id', 'name', 'roles', 'tenant']);
      const text = JSON.stringify(record);
      assert.ok(!text.includes(a.key.slice(20)) && !text.includes(b.key.slice(20)));
    }
    await assert.rejects(store.get('nosuchkey000'), { code: 'NOT_FOUND' });
  });

  it('refuses malformed and unknown keys, and a known id with the wrong secret as unknown', async () => {
    const store = await FileApiKeyStore.open(directory());
    const { key, record } = await store.create({ tenant: 'acme', name: 'a', roles: ['viewer'] });
    await rejects(store.verify(''), 'malformed');
    await rejects(store.verify(`${key}x`), 'malformed');
    await rejects(store.verify(key.replace('strata_', 'strata-')), 'malformed');
    await rejects(store.verify(`strata_${'a'.repeat(12)}_${key.slice(-43)}`), 'unknown');
    const last = key.endsWith('A') ? 'B' : 'A';
    await rejects(store.verify(`${key.slice(0, -1)}${last}`), 'unknown');
    await assert.rejects(store.verify(`${key.slice(0, -1)}${last}`), {
      details: { reason: 'unknown', keyId: record.id },
    });
  });

  it('stops accepting a revoked key', async () => {
    const store = await FileApiKeyStore.open(directory());
    const { key, record } = await store.create({ tenant: 'acme', name: 'a', roles: ['viewer'] });
    // Verified once first, so that the revocation must also drop the remembered verification.
    assert.equal((await store.verify(key)).tenant, 'acme');
    assert.equal(
      await store.verify(key),
      await store.verify(key),
      'a repeat verification shares one identity',
    );
    const revoked = await store.revoke(record.id);
    assert.ok(revoked.revokedAt !== undefined);
    await rejects(store.verify(key), 'revoked');
    assert.deepEqual(await store.revoke(record.id), revoked);
    await assert.rejects(store.rotate(record.id), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(store.revoke('nosuchkey000'), { code: 'NOT_FOUND' });
  });

  it('expires keys on the injected clock', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const store = await FileApiKeyStore.open(directory(), { now: () => now });
    const { key } = await store.create({
      tenant: 'acme',
      name: 'a',
      roles: ['viewer'],
      expiresAt: new Date('2030-01-02T00:00:00Z'),
    });
    await store.verify(key);
    now = new Date('2030-01-01T23:59:59.999Z');
    await store.verify(key);
    now = new Date('2030-01-02T00:00:00Z');
    await rejects(store.verify(key), 'expired');
    await assert.rejects(
      store.create({ tenant: 'acme', name: 'b', roles: [], expiresAt: new Date('2029-01-01T00:00:00Z') }),
      { code: 'INVALID_ARGUMENT', message: /expiresAt/ },
    );
  });

  it('rotates a key: same id and record, new secret, old one refused at once', async () => {
    const store = await FileApiKeyStore.open(directory());
    const first = await store.create({ tenant: 'acme', name: 'a', roles: ['editor'] });
    const second = await store.rotate(first.record.id);
    assert.equal(second.record.id, first.record.id);
    assert.notEqual(second.key, first.key);
    assert.match(second.key, keyShape);
    assert.ok(second.record.rotatedAt !== undefined);
    await rejects(store.verify(first.key), 'unknown');
    assert.equal((await store.verify(second.key)).subject, `api-key:${first.record.id}`);
  });

  it('keeps the replaced secret working for a grace period when asked', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const store = await FileApiKeyStore.open(directory(), { now: () => now });
    const first = await store.create({ tenant: 'acme', name: 'a', roles: ['editor'] });
    const second = await store.rotate(first.record.id, { gracePeriodSeconds: 60 });
    await store.verify(first.key);
    await store.verify(second.key);
    now = new Date('2030-01-01T00:01:00Z');
    await rejects(store.verify(first.key), 'unknown');
    await store.verify(second.key);
    // A second rotation ends the first one's grace and starts none of its own by default.
    now = new Date('2030-01-01T00:00:30Z');
    await store.rotate(first.record.id);
    await rejects(store.verify(first.key), 'unknown');
    await rejects(store.verify(second.key), 'unknown');
  });

  it('keeps keys, revocations and rotations across reopening', async () => {
    const dir = directory();
    const store = await FileApiKeyStore.open(dir);
    const kept = await store.create({
      tenant: 'acme',
      name: 'kept',
      roles: ['viewer'],
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const revoked = await store.create({ tenant: 'acme', name: 'revoked', roles: ['viewer'] });
    const rotated = await store.create({ tenant: 'acme', name: 'rotated', roles: ['viewer'] });
    await store.revoke(revoked.record.id);
    const newer = await store.rotate(rotated.record.id);

    const reopened = await FileApiKeyStore.open(dir);
    assert.deepEqual(await reopened.list(), await store.list());
    assert.equal((await reopened.verify(kept.key)).tenant, 'acme');
    await rejects(reopened.verify(revoked.key), 'revoked');
    await rejects(reopened.verify(rotated.key), 'unknown');
    await reopened.verify(newer.key);
  });

  it('serialises concurrent changes: none is lost', async () => {
    const dir = directory();
    const store = await FileApiKeyStore.open(dir);
    const issued = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.create({ tenant: 'acme', name: `k${i}`, roles: ['viewer'] }),
      ),
    );
    assert.equal(new Set(issued.map(({ record }) => record.id)).size, 20);
    const reopened = await FileApiKeyStore.open(dir);
    assert.equal((await reopened.list()).length, 20);
    for (const { key } of issued) await reopened.verify(key);
  });

  it('refuses invalid requests naming the fields', async () => {
    const store = await FileApiKeyStore.open(directory());
    await assert.rejects(
      store.create({ tenant: ' ', name: '', roles: ['viewer'], scopes: ['delete:collection:*'] }),
      {
        code: 'INVALID_ARGUMENT',
        message:
          /tenant must be 1 to 64 letters, digits, '_' or '-'; name must not be empty; scope "delete:collection:\*"/,
      },
    );
    const { record } = await store.create({ tenant: 'acme', name: 'a', roles: ['viewer'] });
    await assert.rejects(store.rotate(record.id, { gracePeriodSeconds: -1 }), { code: 'INVALID_ARGUMENT' });
  });

  it('refuses to open a corrupt file, naming it', async () => {
    const dir = directory();
    const store = await FileApiKeyStore.open(dir);
    await writeFile(store.path, '{"version":1,"keys":[');
    await assert.rejects(FileApiKeyStore.open(dir), { code: 'INTERNAL', message: new RegExp(store.path) });
  });
});
