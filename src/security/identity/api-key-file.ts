import { readFile } from 'node:fs/promises';
import { StrataError, writeFileAtomically } from '../../kernel/index.js';
import type { StoredKey } from './stored-key.js';

/** The on-disk form of FileApiKeyStore: `{ version: 1, keys: [...] }`, hashes included. */
export interface StoreFile {
  readonly version: 1;
  readonly keys: readonly StoredKey[];
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
export async function writeAtomically(path: string, contents: StoreFile): Promise<void> {
  await writeFileAtomically(path, `${JSON.stringify(contents, null, 2)}\n`, 0o600);
}
