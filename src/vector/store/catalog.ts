import { readFile, rename, writeFile } from 'node:fs/promises';
import { StrataError } from '../../kernel/index.js';
import type { CollectionParams } from '../collection/params.js';

/** One collection of the catalog: what it was created with (or last updated to). */
export interface CatalogEntry {
  readonly name: string;
  readonly params: CollectionParams;
}

/**
 * The store's catalog, `collections.json`: the collections to open at start, with their
 * parameters. Their data lives in each collection's snapshots and log; this only says which exist.
 */
export async function readCatalog(path: string): Promise<CatalogEntry[]> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as CatalogEntry[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StrataError('INTERNAL', `cannot read the collection catalog ${path}`, { cause: error });
  }
}

/** Written to a temporary file and renamed, so a crash leaves the old or the new catalog, never half. */
export async function writeCatalog(path: string, entries: readonly CatalogEntry[]): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, JSON.stringify(entries, null, 2), { flush: true });
  await rename(temporary, path);
}
