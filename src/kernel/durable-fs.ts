import { randomBytes } from 'node:crypto';
import { close, closeSync, fsync, openSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

/** Bytes written at once by stageFile: small chunks are gathered until this many. */
const STAGING_BYTES = 1 << 20;

/**
 * Where a writer hands over content, chunk after chunk. A chunk is only read during the call, so
 * a writer may fill the same buffer again for the next one.
 */
export type ByteSink = (chunk: Uint8Array) => void;

/**
 * What writes a file's content into a ByteSink. An asynchronous one may give the event loop turns
 * while it writes (see writeChunks); then the content it hands over must not change meanwhile,
 * which is its caller's to ensure.
 */
export type ByteWriter = (write: ByteSink) => void | Promise<void>;

/** Bytes writeChunks hands over between the event loop's turns. */
const TURN_BYTES = 1 << 20;

/**
 * Hands `chunks` to `write`, giving the event loop a turn after about every MiB, so that writing
 * a large state (a snapshot of a big collection) does not hold up every request while it runs.
 * Each chunk is written before the next is taken, so a generator may fill one buffer again.
 */
export async function writeChunks(chunks: Iterable<Uint8Array>, write: ByteSink): Promise<void> {
  let sinceTurn = 0;
  for (const chunk of chunks) {
    write(chunk);
    sinceTurn += chunk.byteLength;
    if (sinceTurn >= TURN_BYTES) {
      sinceTurn = 0;
      await new Promise(setImmediate);
    }
  }
}

/** A file written whole beside its path and not yet in place. */
export interface StagedFile {
  /** Bytes written. */
  readonly size: number;
  /** Syncs the file, renames it over its path and syncs the directory. */
  commit(): Promise<void>;
  /** Removes the staged file; its path is untouched. */
  discard(): Promise<void>;
}

/**
 * Makes the creation, rename or removal of a directory entry durable. fsync on a file persists its
 * data but not the name pointing at it: after a power failure a renamed file or a new segment
 * could otherwise vanish even though its bytes were synced.
 */
export async function syncDirectory(directory: string): Promise<void> {
  // Windows cannot open a directory for fsync, and NTFS journals names itself.
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes the content `body` hands over into a temp file beside `path` (dot-prefixed, so listings
 * can skip it; created with `mode`, so it is never readable by others even for a moment), in
 * memory only a chunk at a time. The file is complete when the promise resolves; it is synced
 * only by commit(). A body that throws, or a failed write, leaves no temp file behind.
 */
export async function stageFile(path: string, body: ByteWriter, mode = 0o644): Promise<StagedFile> {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', mode);
  let size = 0;
  try {
    const staging = Buffer.allocUnsafe(STAGING_BYTES);
    let used = 0;
    const flush = (): void => {
      writeAll(fd, staging.subarray(0, used));
      used = 0;
    };
    await body((chunk) => {
      size += chunk.byteLength;
      if (used + chunk.byteLength > STAGING_BYTES) flush();
      if (chunk.byteLength >= STAGING_BYTES) writeAll(fd, chunk);
      else {
        staging.set(chunk, used);
        used += chunk.byteLength;
      }
    });
    flush();
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  let settled = false;
  const settle = (): void => {
    if (settled) throw new Error(`the staged file for ${path} was already committed or discarded`);
    settled = true;
  };
  return {
    size,
    commit: async () => {
      settle();
      try {
        try {
          await fsyncFd(fd);
        } finally {
          await closeFd(fd);
        }
        await rename(temp, path);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
      await syncDirectory(directory);
    },
    discard: async () => {
      settle();
      await closeFd(fd);
      await unlink(temp).catch(() => undefined);
    },
  };
}

/**
 * Replaces `path` with `data` so that a crash leaves either the old file or the new one, never a
 * mix: a synced temp file beside it (stageFile), renamed over it, then the directory synced.
 */
export async function writeFileAtomically(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  const staged = await stageFile(
    path,
    (write) => {
      write(typeof data === 'string' ? Buffer.from(data) : data);
    },
    mode,
  );
  await staged.commit();
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.byteLength;) at += writeSync(fd, bytes, at, bytes.byteLength - at);
}
