/**
 * PostgresApiKeyStore against the real server (STRATA_BACKENDS_POSTGRES_URL, as the configuration
 * loader reads it): the ApiKeyStore conformance suite, and what sharing one table between
 * processes adds. Each test has its own table; after() drops them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import type pg from 'pg';
import { backendUrls, openPostgres, requireBackend } from '../../../test/support/backends.js';
import { apiKeyStoreConformance, rejectsAs } from './api-key-store-conformance.js';
import { PostgresApiKeyStore } from './postgres-api-key-store.js';

const url = backendUrls().postgres;
const runTables = `strata_api_keys_test_${randomBytes(6).toString('hex')}`;
const tables: string[] = [];
let pool: pg.Pool;
let unreachable: unknown;

before(async () => {
  ({ pool, unreachable } = await openPostgres(url, 8));
});

after(async () => {
  if (unreachable === undefined) {
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`);
  }
  await pool.end();
});

/** A table of its own for the calling test, or undefined (skipped, or failed under CI) without PostgreSQL. */
function freshTable(t: TestContext): string | undefined {
  if (unreachable !== undefined) {
    requireBackend(t, 'PostgreSQL', url, unreachable);
    return undefined;
  }
  const table = `${runTables}_${String(tables.length + 1)}`;
  tables.push(table);
  return table;
}

apiKeyStoreConformance('PostgresApiKeyStore', (t) => {
  const table = freshTable(t);
  if (table === undefined) return Promise.resolve(undefined);
  return Promise.resolve({
    open: (options) => PostgresApiKeyStore.open({ pool, table, ...options }),
    persisted: async () => JSON.stringify((await pool.query(`SELECT * FROM "${table}"`)).rows),
  });
});

describe('PostgresApiKeyStore shared by processes', () => {
  /** Stores with a connection pool each, as separate processes have. */
  const processes = async (
    table: string,
    count: number,
    options: { now?: () => Date; cacheMs?: number } = {},
  ) =>
    Promise.all(
      Array.from({ length: count }, () =>
        PostgresApiKeyStore.open({ connectionString: url, table, ...options }),
      ),
    );

  it('creates the table and the first key once, whoever starts together', async (t) => {
    const table = freshTable(t);
    if (table === undefined) return;
    const stores = await processes(table, 4);
    try {
      const first = { tenant: 'default', name: 'admin (first start)', roles: ['admin'] };
      const issued = await Promise.all(stores.map((store) => store.createFirst(first)));
      assert.equal(issued.filter((key) => key !== undefined).length, 1);
      assert.equal((await pool.query(`SELECT id FROM "${table}"`)).rowCount, 1);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('sees a revocation or rotation made elsewhere within cacheMs, and one made here at once', async (t) => {
    const table = freshTable(t);
    if (table === undefined) return;
    let now = new Date('2030-01-01T00:00:00Z');
    const [here, elsewhere] = await processes(table, 2, { now: () => now, cacheMs: 1000 });
    assert.ok(here !== undefined && elsewhere !== undefined);
    try {
      const revoked = await here.create({ tenant: 'acme', name: 'revoked', roles: ['viewer'] });
      const rotated = await here.create({ tenant: 'acme', name: 'rotated', roles: ['viewer'] });
      for (const { key } of [revoked, rotated]) await elsewhere.verify(key);
      await here.revoke(revoked.record.id);
      const fresh = await here.rotate(rotated.record.id);
      await rejectsAs(here.verify(revoked.key), 'revoked');
      // Remembered for up to cacheMs after it was read, then read again.
      now = new Date(now.getTime() + 999);
      await elsewhere.verify(revoked.key);
      await elsewhere.verify(rotated.key);
      assert.equal((await elsewhere.verify(fresh.key)).subject, `api-key:${rotated.record.id}`);
      now = new Date(now.getTime() + 1);
      await rejectsAs(elsewhere.verify(revoked.key), 'revoked');
      await rejectsAs(elsewhere.verify(rotated.key), 'unknown');
    } finally {
      await Promise.all([here.close(), elsewhere.close()]);
    }
  });

  it('refuses a table name that is not a plain identifier and a negative cacheMs', async () => {
    await assert.rejects(PostgresApiKeyStore.open({ connectionString: url, table: 'keys; DROP TABLE x' }), {
      code: 'INVALID_ARGUMENT',
      message: /API key table name/,
    });
    await assert.rejects(PostgresApiKeyStore.open({ connectionString: url, cacheMs: -1 }), {
      code: 'INVALID_ARGUMENT',
    });
  });

  it('fails UNAVAILABLE naming the table when PostgreSQL cannot be reached', async () => {
    await assert.rejects(
      PostgresApiKeyStore.open({ connectionString: 'postgres://postgres@127.0.0.1:1/test' }),
      { code: 'UNAVAILABLE', message: /API key table "strata_api_keys"/ },
    );
  });
});
