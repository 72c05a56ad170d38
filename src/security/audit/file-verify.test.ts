import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../kernel/index.js';
import type { AuditFailure, AuditVerification } from './chain-verifier.js';
import { FileAuditLog } from './file-log.js';
import { verifyAuditFile } from './file-verify.js';
import { recordHash, type AuditRecord } from './record.js';
import { entry } from './test-support.js';

let dir: string;
let intact: string;
let lines: string[];
let n = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-audit-verify-'));
  intact = join(dir, 'intact.jsonl');
  const log = await FileAuditLog.open({ path: intact, logger: createLogger('silent') });
  for (let i = 1; i <= 6; i++) await log.record(entry(i, { keys: ['a', 'b'], nested: { z: 1, a: null } }));
  await log.close();
  lines = (await readFile(intact, 'utf8')).split('\n').slice(0, -1);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Verifies a copy of the intact log with its lines replaced. */
async function verifyLines(text: string): Promise<AuditVerification> {
  const path = join(dir, `tampered-${String(++n)}.jsonl`);
  await writeFile(path, text);
  return verifyAuditFile(path);
}

const joined = (parts: readonly string[]): string => parts.map((line) => `${line}\n`).join('');

function edit(line: string, change: (record: Record<string, unknown>) => void): string {
  const record = JSON.parse(line) as Record<string, unknown>;
  change(record);
  return JSON.stringify(record);
}

function assertBad(
  result: AuditVerification,
  expected: { problem: string; line?: number; seq?: number },
): asserts result is AuditFailure {
  assert.equal(result.ok, false, 'tampering went unnoticed');
  assert.equal(result.problem, expected.problem, result.reason);
  assert.equal(result.line, expected.line, result.reason);
  assert.equal(result.seq, expected.seq, result.reason);
  if (expected.line !== undefined)
    assert.match(result.reason, new RegExp(`^line ${String(expected.line)}\\b`));
}

describe('verifyAuditFile', () => {
  it('accepts an intact chain and reports its head', async () => {
    const result = await verifyAuditFile(intact);
    assert.ok(result.ok);
    assert.equal(result.records, 6);
    assert.equal(result.lastSeq, 6);
    assert.equal(result.lastHash, (JSON.parse(lines[5] ?? '') as AuditRecord).hash);
  });

  it('accepts an empty file as an empty chain', async () => {
    assert.deepEqual(await verifyLines(''), { ok: true, records: 0, lastSeq: 0, lastHash: '0'.repeat(64) });
  });

  it('names an edited record', async () => {
    const tampered = [...lines];
    tampered[2] = edit(lines[2] ?? '', (record) => (record['outcome'] = 'failure'));
    tampered[3] = edit(lines[3] ?? '', (record) => (record['details'] = { keys: ['a'] }));
    assertBad(await verifyLines(joined(tampered)), { problem: 'edited', line: 3, seq: 3 });
  });

  it('names the record after one that was edited and re-hashed', async () => {
    const tampered = [...lines];
    tampered[1] = edit(lines[1] ?? '', (record) => {
      record['actor'] = 'someone-else';
      const { hash: _, ...unsigned } = record as unknown as AuditRecord;
      record['hash'] = recordHash(unsigned);
    });
    const result = await verifyLines(joined(tampered));
    assertBad(result, { problem: 'broken-link', line: 3, seq: 3 });
    assert.ok(result.reason.includes('record 2 was replaced'), result.reason);
  });

  it('names the first record after a deleted one', async () => {
    const result = await verifyLines(joined(lines.filter((_, i) => i !== 3)));
    assertBad(result, { problem: 'missing-or-reordered', line: 4, seq: 5 });
    assert.ok(result.reason.includes('record seq 4 is missing'), result.reason);
    assert.equal(result.lastGood.seq, 3);
  });

  it('names the first of two swapped records', async () => {
    const tampered = [...lines];
    [tampered[1], tampered[2]] = [lines[2] ?? '', lines[1] ?? ''];
    assertBad(await verifyLines(joined(tampered)), { problem: 'missing-or-reordered', line: 2, seq: 3 });
  });

  it('names a line cut off mid-record', async () => {
    const text = joined(lines);
    assertBad(await verifyLines(text.slice(0, text.length - 20)), { problem: 'incomplete', line: 6 });
  });

  it('names lines that are not records', async () => {
    const notJson = [...lines];
    notJson[4] = '{"seq":5,';
    assertBad(await verifyLines(joined(notJson)), { problem: 'malformed', line: 5 });
    const extraField = [...lines];
    // A field outside the hash would let anyone attach claims to a record: refused.
    extraField[0] = edit(lines[0] ?? '', (record) => (record['approvedBy'] = 'ceo'));
    assertBad(await verifyLines(joined(extraField)), { problem: 'malformed', line: 1, seq: 1 });
    const blank = [...lines];
    blank.splice(2, 0, '');
    assertBad(await verifyLines(joined(blank)), { problem: 'malformed', line: 3 });
  });

  it('detects records cut from the end only against an anchor', async () => {
    const head = JSON.parse(lines[5] ?? '') as AuditRecord;
    const anchor = { seq: head.seq, hash: head.hash };
    const path = join(dir, 'cut-tail.jsonl');
    await writeFile(path, joined(lines.slice(0, 4)));
    assert.equal((await verifyAuditFile(path)).ok, true, 'without an anchor a clean cut looks intact');
    assertBad(await verifyAuditFile(path, { anchor }), { problem: 'truncated' });
    assert.equal((await verifyAuditFile(intact, { anchor })).ok, true);
    const rewritten = { seq: 6, hash: 'f'.repeat(64) };
    assertBad(await verifyAuditFile(intact, { anchor: rewritten }), {
      problem: 'anchor-mismatch',
      line: 6,
      seq: 6,
    });
  });

  it('says a missing file is NOT_FOUND', async () => {
    await assert.rejects(verifyAuditFile(join(dir, 'absent.jsonl')), { code: 'NOT_FOUND' });
  });
});
