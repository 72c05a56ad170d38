import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StrataError } from './errors/strata-error.js';

interface Owner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/**
 * One process's exclusive claim on a data directory: a `LOCK` file created with O_EXCL holding
 * the owner's pid and host. Two processes appending to the same write-ahead log would interleave
 * records and lose acknowledged writes, so the second one must not start. A lock left behind by
 * a process that died on this host (kill -9, a crash) is taken over; one held by a live process,
 * or written by another host (a shared volume, where liveness cannot be checked), is refused
 * with the owner and what to do.
 */
export class DirectoryLock {
  #released = false;

  private constructor(readonly path: string) {}

  static async acquire(directory: string): Promise<DirectoryLock> {
    const path = join(directory, 'LOCK');
    const me: Owner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    for (let attempt = 0; ; attempt++) {
      try {
        const file = await open(path, 'wx', 0o644);
        try {
          await file.writeFile(`${JSON.stringify(me)}\n`);
          await file.sync();
        } finally {
          await file.close();
        }
        return new DirectoryLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      }
      const owner = await readOwner(path);
      if (owner !== undefined && (owner.host !== me.host || isAlive(owner.pid))) {
        const who =
          owner.pid === me.pid && owner.host === me.host
            ? 'this process (opened twice)'
            : `process ${owner.pid} on ${owner.host} since ${owner.since}`;
        throw new StrataError(
          'UNAVAILABLE',
          `the data directory ${directory} is in use by ${who}; stop that process or start this one with another --data-dir (if no Strata process uses it, delete ${path})`,
          { details: { directory, owner } },
        );
      }
      // Left by a process that is gone (or unreadable, from a crash mid-write): take it over.
      await unlink(path).catch(() => undefined);
    }
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await unlink(this.path).catch(() => undefined);
  }
}

async function readOwner(path: string): Promise<Owner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as Partial<Owner>;
    if (typeof owner.pid !== 'number' || typeof owner.host !== 'string') return undefined;
    return { pid: owner.pid, host: owner.host, since: String(owner.since) };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
