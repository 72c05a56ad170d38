import { mkdirSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StrataError, stageFile, type ByteWriter } from '../../kernel/index.js';
import type { BlobFile, BlobStore } from './blob-store.js';
import { FileSource } from './byte-source.js';
import { isNotFound } from './durable-fs.js';

/** A BlobStore in a local directory; each blob is one file, written atomically. */
export class FsBlobStore implements BlobStore {
  readonly atomicPut = true;

  constructor(private readonly root: string) {}

  /**
   * Write a temporary file, fsync it, rename it over the name, fsync the directory. The rename is
   * what makes the put atomic; the first fsync keeps the rename from exposing a file whose data is
   * not yet on disk after a power failure, and the second makes the rename itself durable.
   */
  async put(name: string, body: ByteWriter): Promise<void> {
    const path = this.#path(name);
    mkdirSync(dirname(path), { recursive: true });
    // The temp file is dot-prefixed: list() skips it, so one a crash left behind never looks like a blob.
    await (await stageFile(path, body)).commit();
  }

  open(name: string): Promise<BlobFile | undefined> {
    // A file opened for positional reads: the blob is read a range at a time, never whole.
    try {
      return Promise.resolve(new FileSource(this.#path(name)));
    } catch (error) {
      if (isNotFound(error)) return Promise.resolve(undefined);
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  async list(prefix: string): Promise<string[]> {
    const names: string[] = [];
    await this.#walk('', names);
    return names.filter((name) => name.startsWith(prefix)).sort();
  }

  async delete(name: string): Promise<void> {
    try {
      await unlink(this.#path(name));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async #walk(relative: string, names: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(join(this.root, relative), { withFileTypes: true });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await this.#walk(name, names);
      else if (entry.isFile()) names.push(name);
    }
  }

  #path(name: string): string {
    const segments = name.split('/');
    // Refused rather than normalised: a name must never reach outside the root or hide from list().
    if (segments.some((s) => s === '' || s.startsWith('.') || s.includes('\\') || s.includes('\0'))) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `Blob name "${name}" is not a /-separated path of plain segments.`,
        {
          details: { name },
        },
      );
    }
    return join(this.root, ...segments);
  }
}
