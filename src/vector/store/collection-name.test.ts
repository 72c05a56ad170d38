import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientCollectionName, parseStoredCollectionName, storedCollectionName } from './collection-name.js';

describe('collection names of tenants', () => {
  it("keeps the default tenant's names and puts another tenant's under a name no client can spell", () => {
    assert.equal(storedCollectionName('default', 'orders'), 'orders');
    assert.equal(storedCollectionName('acme', 'orders'), '.acme.orders');
    assert.equal(storedCollectionName('acme', 'a.b'), '.acme.a.b');
    for (const stored of ['orders', '.acme.orders', '.acme.a.b']) {
      const { tenant, name } = parseStoredCollectionName(stored);
      assert.equal(storedCollectionName(tenant, name), stored);
      assert.equal(clientCollectionName(stored), name);
    }
  });

  it('refuses names and tenants that could escape their namespace or directory', () => {
    for (const [tenant, name] of [
      ['acme', '.hidden'],
      ['acme', '../x'],
      ['acme', 'a/b'],
      ['a.b', 'orders'],
      ['../x', 'orders'],
      ['', 'orders'],
      ['default', '.acme.orders'],
    ] as const) {
      assert.throws(
        () => storedCollectionName(tenant, name),
        { code: 'INVALID_ARGUMENT' },
        `${tenant} ${name}`,
      );
    }
    for (const stored of ['.acme', '..acme.x', '.acme..x', '.a/b.x', '.acme.']) {
      assert.throws(() => parseStoredCollectionName(stored), { code: 'INVALID_ARGUMENT' }, stored);
    }
  });

  it('keeps a stored name within one directory entry (255 characters)', () => {
    const tenant = 't'.repeat(64);
    assert.equal(storedCollectionName(tenant, 'n'.repeat(189)).length, 255);
    assert.throws(() => storedCollectionName(tenant, 'n'.repeat(190)), {
      code: 'INVALID_ARGUMENT',
      message: /at most 189 characters/,
    });
  });
});
