import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DirectoryLock } from './directory-lock.js';
import { isStrataError } from './errors/strata-error.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-lock-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function refused(fragment: string): Promise<void> {
  await assert.rejects(DirectoryLock.acquire(dir), (error: unknown) => {
    assert.ok(isStrataError(error) && error.code === 'UNAVAILABLE', String(error));
    assert.ok(error.message.includes(fragment), error.message);
    assert.ok(error.message.includes('--data-dir'), error.message);
    return true;
  });
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('DirectoryLock', () => {
  it('lets one holder in, refuses a second naming the holder, and frees the directory on release', async () => {
    const lock = await DirectoryLock.acquire(dir);
    const owner = JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')) as { pid: number };
    assert.equal(owner.pid, process.pid);
    await refused('this process');
    await lock.release();
    const again = await DirectoryLock.acquire(dir);
    await again.release();
  });

  it('takes over a lock left by a process that died, or a torn lock file', async () => {
    await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid: deadPid(), host: hostname() }));
    const lock = await DirectoryLock.acquire(dir);
    await lock.release();
    await writeFile(join(dir, 'LOCK'), '{"pid": 12');
    const second = await DirectoryLock.acquire(dir);
    await second.release();
  });

  it('refuses a lock written by another host, whose process it cannot check', async () => {
    await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid: deadPid(), host: 'elsewhere', since: 'then' }));
    await refused('on elsewhere');
    await rm(join(dir, 'LOCK'));
  });
});
