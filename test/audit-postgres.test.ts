/**
 * The audit log's PostgreSQL table against the real server: the chain is stored and resumed, rows
 * changed or deleted in SQL are found, and a started Strata writes to it when configured to. Each
 * run uses its own table and drops it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type pg from 'pg';
import { createLogger, isStrataError } from '../src/kernel/index.js';
import { loadConfig } from '../src/platform/index.js';
import {
  CompositeAuditLog,
  FileAuditLog,
  PostgresAuditSink,
  verifyAuditFile,
  verifyAuditTable,
  type AuditEntry,
} from '../src/security/index.js';
import { openPostgres, requireBackend } from './support/backends.js';
import { startPlatform, tempDataDir } from './support/platform.js';

const { url } = loadConfig({ env: process.env }).backends.postgres;
const logger = createLogger('silent');
const table = `strata_audit_test_${randomBytes(6).toString('hex')}`;
let pool: pg.Pool;
let unreachable: unknown;
let dir: string;

const entry = (n: number): AuditEntry => ({
  actor: 'key:ops',
  tenant: 'acme',
  action: `apikey.rotate.${String(n)}`,
  resource: `apikeys/${String(n)}`,
  outcome: 'success',
  requestId: `req-${String(n)}`,
  // jsonb stores keys in its own order; the hash must not depend on it.
  details: { zeta: n, alpha: { second: [1, 'two', null], first: true } },
});

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-audit-pg-'));
  ({ pool, unreachable } = await openPostgres(url, 4));
});

after(async () => {
  if (unreachable === undefined) await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
  await rm(dir, { recursive: true, force: true });
});

/** False (and the test skipped, or failed under CI) when PostgreSQL is not there. */
function reachable(t: TestContext): boolean {
  if (unreachable === undefined) return true;
  requireBackend(t, 'PostgreSQL', url, unreachable);
  return false;
}

async function writeChain(chain: string, count: number): Promise<void> {
  const sink = await PostgresAuditSink.open({ connectionString: url, table, chain, logger });
  await Promise.all(Array.from({ length: count }, (_, i) => sink.record(entry(i + 1))));
  await sink.close();
}

describe('PostgresAuditSink', () => {
  it('stores concurrent records as one chain in call order and resumes it after a restart', async (t) => {
    if (!reachable(t)) return;
    await writeChain('resume', 30);
    const sink = await PostgresAuditSink.open({ pool, table, chain: 'resume', logger });
    await sink.record(entry(31));
    await sink.close();
    const { rows } = await pool.query<{ seq: string; action: string }>(
      `SELECT seq, action FROM ${table} WHERE chain = 'resume' ORDER BY seq`,
    );
    assert.deepEqual(
      rows.map((row) => [Number(row.seq), row.action]),
      Array.from({ length: 31 }, (_, i) => [i + 1, `apikey.rotate.${String(i + 1)}`]),
    );
    const verification = await verifyAuditTable({ pool, table, chain: 'resume' });
    assert.equal(verification.ok, true, JSON.stringify(verification));
    assert.equal(verification.records, 31);
    await pool.query('SELECT 1'); // the pool passed in is still open after close()
  });

  it('names a row changed by an UPDATE in SQL, and will not extend that chain', async (t) => {
    if (!reachable(t)) return;
    await writeChain('updated', 10);
    await pool.query(`UPDATE ${table} SET outcome = 'denied' WHERE chain = 'updated' AND seq = 7`);
    const verification = await verifyAuditTable({ connectionString: url, table, chain: 'updated' });
    assert.equal(verification.ok, false);
    assert.equal(verification.problem, 'edited');
    assert.equal(verification.seq, 7);
    assert.equal(verification.lastGood.seq, 6);
    await assert.rejects(
      PostgresAuditSink.open({ pool, table, chain: 'updated', logger }),
      (error: unknown) => {
        assert.ok(isStrataError(error) && error.message.includes('record seq 7 was edited'), String(error));
        return true;
      },
    );
  });

  it('names the row after a deleted one', async (t) => {
    if (!reachable(t)) return;
    await writeChain('deleted', 5);
    await pool.query(`DELETE FROM ${table} WHERE chain = 'deleted' AND seq = 3`);
    const verification = await verifyAuditTable({ pool, table, chain: 'deleted' });
    assert.equal(verification.ok, false);
    assert.equal(verification.problem, 'missing-or-reordered');
    assert.equal(verification.seq, 4);
  });

  it('says a missing table is NOT_FOUND', async (t) => {
    if (!reachable(t)) return;
    await assert.rejects(verifyAuditTable({ pool, table: `${table}_absent` }), { code: 'NOT_FOUND' });
  });
});

describe('CompositeAuditLog over a file and PostgreSQL', () => {
  it('stores the same entries in the same order in both, each a chain that verifies', async (t) => {
    if (!reachable(t)) return;
    const path = join(dir, 'audit.jsonl');
    const log = new CompositeAuditLog([
      await FileAuditLog.open({ path, logger }),
      await PostgresAuditSink.open({ pool, table, chain: 'composite', logger }),
    ]);
    await Promise.all(Array.from({ length: 25 }, (_, i) => log.record(entry(i + 1))));
    await log.close();
    const fileActions = (await readFile(path, 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { action: string }).action);
    const { rows } = await pool.query<{ action: string }>(
      `SELECT action FROM ${table} WHERE chain = 'composite' ORDER BY seq`,
    );
    assert.equal(fileActions.length, 25);
    assert.deepEqual(
      rows.map((row) => row.action),
      fileActions,
    );
    assert.equal((await verifyAuditFile(path)).ok, true);
    assert.equal((await verifyAuditTable({ pool, table, chain: 'composite' })).ok, true);
  });
});

describe('security.audit.sink on a started Strata', () => {
  /** Starts Strata with `sink`, fails a login, creates a collection, stops; the data directory. */
  async function audited(sink: 'postgres' | 'both', chain: string): Promise<string> {
    const dataDir = tempDataDir('audit-sink');
    const { platform, url: base } = await startPlatform(dataDir, ['vector'], {
      'security.auth.enabled': 'true',
      'security.audit.sink': sink,
      'security.audit.table': table,
      'security.audit.chain': chain,
      'backends.postgres.url': url,
    });
    try {
      const admin = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
      const forged = `${admin.slice(0, -4)}AAAA`;
      const refused = await fetch(`${base}/collections`, { headers: { authorization: `Bearer ${forged}` } });
      assert.equal(refused.status, 401);
      const created = await fetch(`${base}/collections/docs`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ vectors: { size: 2, distance: 'Dot' } }),
      });
      assert.equal(created.status, 200, await created.clone().text());
    } finally {
      await platform.shutdown();
    }
    return dataDir;
  }

  async function tableActions(chain: string): Promise<string[]> {
    const verification = await verifyAuditTable({ pool, table, chain });
    assert.equal(verification.ok, true, JSON.stringify(verification));
    const { rows } = await pool.query<{ action: string; outcome: string }>(
      `SELECT action, outcome FROM ${table} WHERE chain = $1 ORDER BY seq`,
      [chain],
    );
    return rows.map((row) => `${row.action} ${row.outcome}`);
  }

  it('with `postgres`, records a failed login and a collection creation in the table, and no file', async (t) => {
    if (!reachable(t)) return;
    const dataDir = await audited('postgres', 'strata-postgres');
    assert.deepEqual(await tableActions('strata-postgres'), [
      'apikey.create success',
      'auth.authenticate denied',
      'createCollection success',
    ]);
    await assert.rejects(access(join(dataDir, 'audit')), { code: 'ENOENT' });
  });

  it('with `both`, records the same entries in the file and the table', async (t) => {
    if (!reachable(t)) return;
    const dataDir = await audited('both', 'strata-both');
    const path = join(dataDir, 'audit', 'audit.jsonl');
    assert.equal((await verifyAuditFile(path)).ok, true);
    const fileActions = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; outcome: string })
      .map((record) => `${record.action} ${record.outcome}`);
    assert.equal(fileActions.length, 3);
    assert.deepEqual(await tableActions('strata-both'), fileActions);
  });
});
