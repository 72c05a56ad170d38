/** `strata audit verify` as an operator runs it: a real child process per case. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../src/kernel/index.js';
import { FileAuditLog } from '../src/security/index.js';
import { runCli, type Finished } from './support/cli.js';

let dir: string;
let path: string;
let head: { seq: number; hash: string };
/**
 * Every case's run, started together in before(): each spawn loads the whole CLI (about a second
 * of CPU), so the cases are few. Cuts against an anchor are covered by file-verify.test.ts.
 */
let runs: Record<'intact' | 'edited' | 'absent' | 'badAnchor', Promise<Finished>>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-audit-cli-'));
  path = join(dir, 'audit.jsonl');
  const log = await FileAuditLog.open({ path, logger: createLogger('silent') });
  for (let i = 1; i <= 4; i++) {
    await log.record({
      actor: 'user:ana',
      tenant: 'acme',
      action: 'role.grant',
      resource: `roles/r${String(i)}`,
      outcome: 'success',
      requestId: `req-${String(i)}`,
    });
  }
  head = log.head;
  await log.close();
  const text = await readFile(path, 'utf8');
  const edited = join(dir, 'edited.jsonl');
  await writeFile(edited, text.replace('roles/r2', 'roles/admin'));
  const anchor = `${String(head.seq)}:${head.hash}`;
  runs = {
    intact: runCli(['audit', 'verify', path, '--anchor', anchor]),
    edited: runCli(['audit', 'verify', edited]),
    absent: runCli(['audit', 'verify', join(dir, 'absent.jsonl')]),
    badAnchor: runCli(['audit', 'verify', path, '--anchor', 'latest']),
  };
});

after(async () => {
  await Promise.allSettled(Object.values(runs));
  await rm(dir, { recursive: true, force: true });
});

describe('strata audit verify', () => {
  it('exits 0 with a summary and the head to anchor when the chain is intact', async () => {
    const result = await runs.intact;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${path}: intact, 4 records; last seq 4 hash ${head.hash}\n`);
  });

  it('exits 1 naming the first bad record', async () => {
    const result = await runs.edited;
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /line 2 \(record seq 2\) was edited/);
    assert.match(result.stdout, /intact up to seq 1 /);
  });

  it('exits 2 for usage errors: no such file, a malformed anchor', async () => {
    for (const [name, pattern] of [
      ['absent', /There is no audit log at/],
      ['badAnchor', /expected <seq>:<hash>/],
    ] as const) {
      const result = await runs[name];
      assert.equal(result.code, 2, `${name}: ${result.stderr}`);
      assert.match(result.stderr, pattern, name);
    }
  });
});
