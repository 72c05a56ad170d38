import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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
 * Replaces `path` with `data` so that a crash leaves either the old file or the new one, never a
 * mix: a synced temp file beside it (dot-prefixed, so listings can skip it; created with `mode`,
 * so it is never readable by others even for a moment), renamed over it, then the directory synced.
 */
export async function writeFileAtomically(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
}
