import { open } from 'node:fs/promises';

/**
 * Makes the creation, rename or removal of a directory entry durable. fsync on a file persists its
 * data but not the name pointing at it: after a power failure a renamed snapshot or a new segment
 * could otherwise vanish even though its bytes were synced.
 */
export async function fsyncDirectory(directory: string): Promise<void> {
  // Windows cannot open a directory for fsync, and NTFS journals names itself.
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';
}
