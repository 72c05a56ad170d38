import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { StrataError } from '../../kernel/index.js';
import type { ApiKeyRecord } from './api-key.js';

/** The on-disk form of FileApiKeyStore: `{ version: 1, keys: [...] }`, hashes included. */
export interface StoredKey extends ApiKeyRecord {
  readonly hash: string;
  /** The secret a rotation with a grace period replaced, valid until `previousValidUntil`. */
  readonly previousHash?: string;
  readonly previousValidUntil?: string;
}

export interface StoreFile {
  readonly version: 1;
  readonly keys: readonly StoredKey[];
}

export function toRecord(stored: StoredKey): ApiKeyRecord {
  const { hash: _hash, previousHash: _previous, previousValidUntil: _until, ...record } = stored;
  return record;
}

export async function load(path: string): Promise<Map<string, StoredKey>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  let file: { version?: unknown; keys?: unknown };
  try {
    file = JSON.parse(text) as { version?: unknown; keys?: unknown };
  } catch (cause) {
    throw corrupt(path, 'it is not valid JSON', cause);
  }
  if (file.version !== 1 || !Array.isArray(file.keys))
    throw corrupt(path, 'it lacks version 1 and a keys array');
  const keys = new Map<string, StoredKey>();
  for (const key of file.keys as Partial<StoredKey>[]) {
    if (typeof key.id !== 'string' || typeof key.hash !== 'string' || !Array.isArray(key.roles)) {
      throw corrupt(path, 'a key lacks its id, hash or roles');
    }
    keys.set(key.id, key as StoredKey);
  }
  return keys;
}

function corrupt(path: string, problem: string, cause?: unknown): StrataError {
  return new StrataError(
    'INTERNAL',
    `The API key file ${path} is unreadable: ${problem}; restore it from a backup.`,
    {
      details: { path },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/**
 * Temp file, fsync, rename over the name, fsync the directory: the rename makes the replacement
 * atomic, the first fsync keeps it from exposing unwritten data after a power failure, the second
 * makes the rename itself durable. The temp file is created 0600, so the hashes are never readable
 * by others, not even for a moment.
 */
export async function writeAtomically(directory: string, path: string, contents: StoreFile): Promise<void> {
  const temp = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(contents, null, 2)}\n`);
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
  // Windows cannot open a directory for fsync, and NTFS journals names itself.
  if (process.platform === 'win32') return;
  const dir = await open(directory, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
