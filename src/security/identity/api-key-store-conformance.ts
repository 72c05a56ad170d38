// The behaviour every ApiKeyStore shares (STYLE.md §4), run by file-api-key-store.test.ts and
// postgres-api-key-store.test.ts: one suite, each store.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe } from 'node:test';
import { harnessTest, type HarnessFactory } from '../conformance-harness.js';
import { isStrataError } from '../../kernel/index.js';
import type { ApiKeyStore } from './api-key.js';

export interface ApiKeyStoreHarness {
  /**
   * Opens a store on this test's storage: the first finds it empty, later ones see what earlier
   * ones wrote (as after a restart, or from another replica). `now` is the store's clock.
   */
  readonly open: (options?: { readonly now?: () => Date }) => Promise<ApiKeyStore>;
  /** Everything the storage holds, as text (the file, the table's rows). */
  readonly persisted: () => Promise<string>;
  readonly close?: () => Promise<void>;
}

/** Fresh storage for one test, or undefined when the test was skipped (backend missing). */
export type ApiKeyStoreFactory = HarnessFactory<ApiKeyStoreHarness>;

const keyShape = /^strata_[0-9a-hjkmnp-tv-z]{12}_[A-Za-z0-9_-]{43}$/;

export async function rejectsAs(promise: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isStrataError(error));
    assert.equal(error.code, 'UNAUTHENTICATED');
    assert.equal(error.details?.['reason'], reason);
    return true;
  });
}

export function apiKeyStoreConformance(name: string, create: ApiKeyStoreFactory): void {
  const test = harnessTest(create);

  describe(`ApiKeyStore conformance: ${name}`, () => {
    test('issues a key once and verifies it as an identity', async ({ open }) => {
      const store = await open();
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

    test('stores the SHA-256 of the key, never its secret', async ({ open, persisted }) => {
      const store = await open();
      const { key } = await store.create({ tenant: 'acme', name: 'ci', roles: ['viewer'] });
      const rotated = await store.rotate((await store.list())[0]?.id ?? '', { gracePeriodSeconds: 60 });
      const stored = await persisted();
      for (const issued of [key, rotated.key]) {
        assert.ok(!stored.includes(issued.slice('strata_'.length + 13)), 'a secret is stored');
        assert.ok(stored.includes(createHash('sha256').update(issued).digest('hex')));
      }
    });

    test('lists and gets keys without hashes or secrets, filtered by tenant', async ({ open }) => {
      const store = await open();
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

    test('refuses malformed and unknown keys, and a known id with the wrong secret as unknown', async ({
      open,
    }) => {
      const store = await open();
      const { key, record } = await store.create({ tenant: 'acme', name: 'a', roles: ['viewer'] });
      await rejectsAs(store.verify(''), 'malformed');
      await rejectsAs(store.verify(`${key}x`), 'malformed');
      await rejectsAs(store.verify(key.replace('strata_', 'strata-')), 'malformed');
      await rejectsAs(store.verify(`strata_${'a'.repeat(12)}_${key.slice(-43)}`), 'unknown');
      const last = key.endsWith('A') ? 'B' : 'A';
      await rejectsAs(store.verify(`${key.slice(0, -1)}${last}`), 'unknown');
      await assert.rejects(store.verify(`${key.slice(0, -1)}${last}`), {
        details: { reason: 'unknown', keyId: record.id },
      });
    });

    test('stops accepting a revoked key', async ({ open }) => {
      const store = await open();
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
      await rejectsAs(store.verify(key), 'revoked');
      assert.deepEqual(await store.revoke(record.id), revoked);
      await assert.rejects(store.rotate(record.id), { code: 'INVALID_ARGUMENT' });
      await assert.rejects(store.revoke('nosuchkey000'), { code: 'NOT_FOUND' });
      await assert.rejects(store.rotate('nosuchkey000'), { code: 'NOT_FOUND' });
    });

    test('expires keys on the injected clock', async ({ open }) => {
      let now = new Date('2030-01-01T00:00:00Z');
      const store = await open({ now: () => now });
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
      await rejectsAs(store.verify(key), 'expired');
      await assert.rejects(
        store.create({ tenant: 'acme', name: 'b', roles: [], expiresAt: new Date('2029-01-01T00:00:00Z') }),
        { code: 'INVALID_ARGUMENT', message: /expiresAt/ },
      );
    });

    test('rotates a key: same id and record, new secret, old one refused at once', async ({ open }) => {
      const store = await open();
      const first = await store.create({ tenant: 'acme', name: 'a', roles: ['editor'] });
      await store.verify(first.key);
      const second = await store.rotate(first.record.id);
      assert.equal(second.record.id, first.record.id);
      assert.notEqual(second.key, first.key);
      assert.match(second.key, keyShape);
      assert.ok(second.record.rotatedAt !== undefined);
      assert.deepEqual(await store.get(first.record.id), second.record);
      await rejectsAs(store.verify(first.key), 'unknown');
      assert.equal((await store.verify(second.key)).subject, `api-key:${first.record.id}`);
    });

    test('keeps the replaced secret working for a grace period when asked', async ({ open }) => {
      let now = new Date('2030-01-01T00:00:00Z');
      const store = await open({ now: () => now });
      const first = await store.create({ tenant: 'acme', name: 'a', roles: ['editor'] });
      const second = await store.rotate(first.record.id, { gracePeriodSeconds: 60 });
      await store.verify(first.key);
      await store.verify(second.key);
      now = new Date('2030-01-01T00:01:00Z');
      await rejectsAs(store.verify(first.key), 'unknown');
      await store.verify(second.key);
      // A second rotation ends the first one's grace and starts none of its own by default.
      now = new Date('2030-01-01T00:00:30Z');
      await store.rotate(first.record.id);
      await rejectsAs(store.verify(first.key), 'unknown');
      await rejectsAs(store.verify(second.key), 'unknown');
    });

    test('keeps keys, revocations and rotations across reopening', async ({ open }) => {
      const store = await open();
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

      const reopened = await open();
      assert.deepEqual(await reopened.list(), await store.list());
      assert.equal((await reopened.verify(kept.key)).tenant, 'acme');
      await rejectsAs(reopened.verify(revoked.key), 'revoked');
      await rejectsAs(reopened.verify(rotated.key), 'unknown');
      await reopened.verify(newer.key);
    });

    test('serialises concurrent changes: none is lost', async ({ open }) => {
      const store = await open();
      const issued = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.create({ tenant: 'acme', name: `k${i}`, roles: ['viewer'] }),
        ),
      );
      assert.equal(new Set(issued.map(({ record }) => record.id)).size, 20);
      const reopened = await open();
      assert.equal((await reopened.list()).length, 20);
      for (const { key } of issued) await reopened.verify(key);
    });

    test('creates a first key only in an empty store, once among concurrent calls', async ({ open }) => {
      const store = await open();
      const first = { tenant: 'default', name: 'first', roles: ['admin'] };
      const results = await Promise.all(Array.from({ length: 5 }, () => store.createFirst(first)));
      const issued = results.filter((result) => result !== undefined);
      assert.equal(issued.length, 1);
      assert.equal((await store.verify(issued[0]?.key ?? '')).tenant, 'default');
      await store.revoke(issued[0]?.record.id ?? '');
      assert.equal(await store.createFirst(first), undefined, 'a revoked key still counts');
      assert.equal((await (await open()).createFirst(first)) ?? 'none', 'none');
      assert.equal((await store.list()).length, 1);
    });

    test('refuses invalid requests naming the fields', async ({ open }) => {
      const store = await open();
      const invalid = { tenant: ' ', name: '', roles: ['viewer'], scopes: ['delete:collection:*'] };
      for (const attempt of [store.create(invalid), store.createFirst(invalid)]) {
        await assert.rejects(attempt, {
          code: 'INVALID_ARGUMENT',
          message:
            /tenant must be 1 to 64 letters, digits, '_' or '-'; name must not be empty; scope "delete:collection:\*"/,
        });
      }
      const { record } = await store.create({ tenant: 'acme', name: 'a', roles: ['viewer'] });
      await assert.rejects(store.rotate(record.id, { gracePeriodSeconds: -1 }), {
        code: 'INVALID_ARGUMENT',
      });
    });
  });
}
