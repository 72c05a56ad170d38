import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger, isStrataError } from '../../kernel/index.js';
import { CompositeAuditLog } from './composite.js';
import { FileAuditLog } from './file-log.js';
import { verifyAuditFile } from './file-verify.js';
import type { AuditRecord } from './record.js';
import { capturingLogger, entry } from './test-support.js';

const silent = createLogger('silent');
let dir: string;
let n = 0;
const freshPath = (): string => join(dir, `audit-${String(++n)}.jsonl`);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-audit-log-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function records(path: string): Promise<AuditRecord[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditRecord);
}

async function writeLog(path: string, count: number): Promise<void> {
  const log = await FileAuditLog.open({ path, logger: silent });
  for (let i = 1; i <= count; i++) await log.record(entry(i));
  await log.close();
}

describe('FileAuditLog', () => {
  it('stores 100 concurrent records as seq 1..100 in call order, a chain that verifies', async () => {
    const path = freshPath();
    const log = await FileAuditLog.open({ path, logger: silent });
    await Promise.all(Array.from({ length: 100 }, (_, i) => log.record(entry(i + 1))));
    assert.deepEqual(log.head.seq, 100);
    await log.close();
    const stored = await records(path);
    assert.deepEqual(
      stored.map((r) => [r.seq, r.action]),
      Array.from({ length: 100 }, (_, i) => [i + 1, `collection.upsert.${String(i + 1)}`]),
    );
    assert.equal(stored[0]?.prev, '0'.repeat(64));
    const verification = await verifyAuditFile(path);
    assert.deepEqual(verification, { ok: true, records: 100, lastSeq: 100, lastHash: stored[99]?.hash });
  });

  it('creates the file readable by its owner only', { skip: process.platform === 'win32' }, async () => {
    const path = freshPath();
    await writeLog(path, 1);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it('continues the chain after a restart', async () => {
    const path = freshPath();
    await writeLog(path, 3);
    const log = await FileAuditLog.open({ path, logger: silent });
    assert.equal(log.head.seq, 3);
    await log.record(entry(4));
    await log.record(entry(5));
    await log.close();
    assert.deepEqual(
      (await records(path)).map((r) => r.seq),
      [1, 2, 3, 4, 5],
    );
    assert.equal((await verifyAuditFile(path)).ok, true);
  });

  it('cuts an incomplete last line with a warning and appends after the intact part', async () => {
    const path = freshPath();
    await writeLog(path, 3);
    await appendFile(path, '{"seq":4,"time":"2025-');
    const { logger, lines } = capturingLogger();
    const log = await FileAuditLog.open({ path, logger });
    assert.equal(log.head.seq, 3);
    const warning = lines().find((line) => line['level'] === 40);
    assert.match(String(warning?.['msg']), /incomplete last line/);
    assert.equal(warning?.['line'], 4);
    await log.record(entry(4));
    await log.close();
    assert.deepEqual(await verifyAuditFile(path), {
      ok: true,
      records: 4,
      lastSeq: 4,
      lastHash: (await records(path))[3]?.hash,
    });
  });

  it('refuses to extend a damaged chain, naming the first bad record', async () => {
    const path = freshPath();
    await writeLog(path, 4);
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines.splice(1, 1);
    await writeFile(path, lines.join('\n'));
    await assert.rejects(FileAuditLog.open({ path, logger: silent }), (error: unknown) => {
      assert.ok(isStrataError(error), String(error));
      assert.match(error.message, /will not extend it: line 2 \(record seq 3\)/);
      assert.match(error.message, /new-segment/);
      return true;
    });
    assert.equal(await readFile(path, 'utf8'), lines.join('\n'), 'the damaged file is left as it was');
  });

  it('on request sets a damaged file aside and starts a new chain that says why', async () => {
    const sub = join(dir, 'segments');
    const path = join(sub, 'audit.jsonl');
    await rm(sub, { recursive: true, force: true });
    await mkdir(sub);
    await writeLog(path, 3);
    const damaged = (await readFile(path, 'utf8')).replace('"outcome":"success"', '"outcome":"failure"');
    await writeFile(path, damaged);
    const log = await FileAuditLog.open({ path, logger: silent, onBrokenChain: 'new-segment' });
    await log.record(entry(9));
    await log.close();
    const names = await readdir(sub);
    const broken = names.find((name) => name.startsWith('audit.jsonl.broken-'));
    assert.ok(broken !== undefined, names.join(', '));
    assert.equal(await readFile(join(sub, broken), 'utf8'), damaged, 'the evidence is untouched');
    const [start, next] = await records(path);
    assert.equal(start?.seq, 1);
    assert.equal(start.action, 'audit.segment.start');
    assert.deepEqual(
      { file: start.details?.['brokenFile'], problem: start.details?.['problem'] },
      { file: join(sub, broken), problem: 'edited' },
    );
    assert.equal(next?.seq, 2);
    assert.equal((await verifyAuditFile(path)).ok, true);
  });

  it('refuses entries it could not store or verify, without using a seq', async () => {
    const path = freshPath();
    const log = await FileAuditLog.open({ path, logger: silent });
    await assert.rejects(log.record({ ...entry(1), outcome: 'maybe' as 'success' }), {
      code: 'INVALID_ARGUMENT',
    });
    await assert.rejects(log.record(entry(1, { size: 10n })), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(log.record({ ...entry(1), actor: 7 as unknown as string }), {
      code: 'INVALID_ARGUMENT',
    });
    await log.record(entry(1, { at: new Date(0), skipped: undefined }));
    await log.close();
    const [stored] = await records(path);
    assert.equal(stored?.seq, 1);
    assert.deepEqual(stored.details, { at: '1970-01-01T00:00:00.000Z' });
    assert.equal((await verifyAuditFile(path)).ok, true);
    await assert.rejects(log.record(entry(2)), { code: 'SHUTTING_DOWN' });
  });

  it('with fsync interval, has acknowledged records in the file before any sync or close', async () => {
    const path = freshPath();
    const log = await FileAuditLog.open({ path, logger: silent, fsync: 'interval', fsyncIntervalMs: 60_000 });
    await Promise.all([log.record(entry(1)), log.record(entry(2))]);
    assert.deepEqual(
      (await records(path)).map((r) => r.seq),
      [1, 2],
    );
    await log.close();
  });
});

describe('CompositeAuditLog', () => {
  it('stores every entry in every log, in the same order', async () => {
    const [first, second] = [freshPath(), freshPath()];
    const log = new CompositeAuditLog([
      await FileAuditLog.open({ path: first, logger: silent }),
      await FileAuditLog.open({ path: second, logger: silent, fsync: 'interval' }),
    ]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.record(entry(i + 1))));
    await log.close();
    const actions = (await records(first)).map((r) => r.action);
    assert.equal(actions.length, 20);
    assert.deepEqual(
      (await records(second)).map((r) => r.action),
      actions,
    );
    assert.equal((await verifyAuditFile(second)).ok, true);
  });

  it('rejects when any log fails, after the others stored the entry', async () => {
    const [first, second] = [freshPath(), freshPath()];
    const closed = await FileAuditLog.open({ path: second, logger: silent });
    await closed.close();
    const log = new CompositeAuditLog([await FileAuditLog.open({ path: first, logger: silent }), closed]);
    await assert.rejects(log.record(entry(1)), { code: 'SHUTTING_DOWN' });
    await log.close();
    assert.equal((await records(first)).length, 1);
  });
});
