import { createHash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { lstat, mkdir, readFile, readdir, stat, unlink } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StrataError, isStrataError, writeFileAtomically } from '../../kernel/index.js';
import { isNotFound } from './durable-fs.js';

/**
 * Collection snapshots that users create, download and restore (Qdrant's snapshot API), apart
 * from the internal snapshots that let the log be truncated (snapshots.ts): they live in their own
 * folder, `<root>/<collection>/<name>.snapshot`, and are never deleted by log truncation.
 *
 * A file is self-describing: [magic 8 bytes "STRATASN"][format u32][reserved u32][SHA-256 of the
 * body, 32 bytes][body], where the body is the collection's own state bytes (parameters, payload
 * indexes, points and vectors at one sequence). The embedded hash is what makes a damaged or
 * truncated upload fail before anything is replaced; the checksum Qdrant reports (SHA-256 of the
 * whole file, kept beside it in `<name>.checksum`) is what a client checks a download against.
 */
export interface SnapshotDescription {
  readonly name: string;
  /** Qdrant's partial date-time, UTC: `2026-12-04T20:35:43`. */
  readonly creation_time: string;
  readonly size: number;
  readonly checksum: string;
}

const magic = Buffer.from('STRATASN', 'ascii');
const formatVersion = 1;
const headerBytes = 48;
const suffix = '.snapshot';
const namePattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}\.snapshot$/;

/** Wraps a collection's state bytes into a snapshot file. */
export function encodeSnapshotFile(body: Uint8Array): Buffer {
  const file = Buffer.alloc(headerBytes + body.byteLength);
  magic.copy(file, 0);
  file.writeUInt32LE(formatVersion, 8);
  createHash('sha256').update(body).digest().copy(file, 16);
  file.set(body, headerBytes);
  return file;
}

/** The collection state bytes of a snapshot file; INVALID_ARGUMENT naming what is wrong otherwise. */
export function decodeSnapshotFile(file: Uint8Array): Uint8Array {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (bytes.length < headerBytes || !bytes.subarray(0, 8).equals(magic)) {
    throw damaged('it is not a Strata snapshot file (Qdrant snapshot archives cannot be restored)');
  }
  const version = bytes.readUInt32LE(8);
  if (version !== formatVersion) {
    throw damaged(
      `its format version ${String(version)} is not one this Strata reads (${String(formatVersion)})`,
    );
  }
  const body = bytes.subarray(headerBytes);
  if (!createHash('sha256').update(body).digest().equals(bytes.subarray(16, 48))) {
    throw damaged('its content does not match its checksum (damaged or truncated)');
  }
  return body;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function damaged(reason: string): StrataError {
  return new StrataError('INVALID_ARGUMENT', `snapshot refused: ${reason}; nothing was changed`, {
    details: { reason },
  });
}

/** Snapshot names are user input that becomes a file name: one plain segment ending in `.snapshot`. */
export function checkSnapshotName(name: string): string {
  if (!namePattern.test(name) || name.includes('..')) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `snapshot name ${JSON.stringify(name)} is invalid: use letters, digits, '_', '-' and '.', ending in ${suffix} (as list_snapshots shows them)`,
      { details: { name } },
    );
  }
  return name;
}

/** The files of user snapshots under one root folder, one subfolder per stored collection name. */
export class SnapshotFiles {
  constructor(readonly root: string) {}

  /** Writes a snapshot of `collection` (stored name) named after `label` and the time. */
  async create(
    collection: string,
    label: string,
    body: Uint8Array,
    now = new Date(),
  ): Promise<SnapshotDescription> {
    const stamp = now.toISOString().replace(/[:T]/g, '-').replace(/\..*$/, '');
    const millis = String(now.getUTCMilliseconds()).padStart(3, '0');
    const name = checkSnapshotName(`${label}-${stamp}-${millis}${suffix}`);
    const file = encodeSnapshotFile(body);
    const checksum = sha256Hex(file);
    const directory = this.#directory(collection);
    await mkdir(directory, { recursive: true });
    // The checksum first: a snapshot file never exists without it, so listings never hash files.
    await writeFileAtomically(join(directory, `${name}.checksum`), checksum);
    await writeFileAtomically(join(directory, name), file);
    return { name, creation_time: partialDateTime(now), size: file.length, checksum };
  }

  /** The collection's snapshots, oldest first. */
  async list(collection: string): Promise<SnapshotDescription[]> {
    let names: string[];
    try {
      names = await readdir(this.#directory(collection));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const snapshots: SnapshotDescription[] = [];
    for (const name of names.filter((n) => namePattern.test(n)).sort()) {
      const description = await this.describe(collection, name).catch((error: unknown) => {
        // Deleted between the listing and its description: not listed, not an error.
        if (isStrataError(error) && error.code === 'NOT_FOUND') return undefined;
        throw error;
      });
      if (description !== undefined) snapshots.push(description);
    }
    return snapshots.sort(
      (a, b) => a.creation_time.localeCompare(b.creation_time) || a.name.localeCompare(b.name),
    );
  }

  async describe(collection: string, name: string): Promise<SnapshotDescription> {
    const path = this.path(collection, name);
    try {
      const info = await stat(path);
      const checksum = await readFile(`${path}.checksum`, 'utf8').catch(async (error: unknown) => {
        if (!isNotFound(error)) throw error;
        return sha256Hex(await readFile(path));
      });
      return {
        name,
        creation_time: partialDateTime(info.mtime),
        size: info.size,
        checksum: checksum.trim(),
      };
    } catch (error) {
      if (isNotFound(error)) throw notFound(collection, name);
      throw error;
    }
  }

  /** A stream of the file's bytes and its size; NOT_FOUND when there is no such snapshot. */
  async open(collection: string, name: string): Promise<{ size: number; stream: ReadStream }> {
    const path = this.path(collection, name);
    try {
      const info = await lstat(path);
      if (!info.isFile()) throw notFound(collection, name);
      return { size: info.size, stream: createReadStream(path) };
    } catch (error) {
      if (isNotFound(error)) throw notFound(collection, name);
      throw error;
    }
  }

  async read(collection: string, name: string): Promise<Buffer> {
    const path = this.path(collection, name);
    try {
      if (!(await lstat(path)).isFile()) throw notFound(collection, name);
      return await readFile(path);
    } catch (error) {
      if (isNotFound(error)) throw notFound(collection, name);
      throw error;
    }
  }

  /** True when the snapshot was there. */
  async delete(collection: string, name: string): Promise<boolean> {
    const path = this.path(collection, name);
    try {
      await unlink(path);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    await unlink(`${path}.checksum`).catch(() => undefined);
    return true;
  }

  /**
   * The stored collection and snapshot name a `file://` location points to, when it lies inside
   * this root as `<collection>/<name>.snapshot`; anything else (another folder, `..`, a link
   * target elsewhere, a remote URL) is INVALID_ARGUMENT, so a location can never read a file
   * outside the snapshots this Strata wrote.
   */
  locate(location: string): { collection: string; name: string } {
    let path: string;
    try {
      const url = new URL(location);
      if (url.protocol !== 'file:') throw new Error(url.protocol);
      path = fileURLToPath(url);
    } catch {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `location ${JSON.stringify(location)} is not supported: give a file:// URL of a snapshot under ${this.root} (as listed by list_snapshots), or upload the file to /collections/{collection_name}/snapshots/upload`,
        { details: { location } },
      );
    }
    const inside = relative(this.root, resolve(path));
    const segments = inside.split(sep);
    const [folder, name] = segments;
    if (segments.length !== 2 || folder === undefined || name === undefined || inside.startsWith('..')) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `location ${JSON.stringify(location)} is outside the snapshots folder ${this.root}: only snapshots Strata created there can be recovered by location; upload other files`,
        { details: { location } },
      );
    }
    return { collection: decodeFolder(folder), name: checkSnapshotName(name) };
  }

  /** The file URL of a snapshot, as `locate` accepts it. */
  location(collection: string, name: string): string {
    return `file://${this.path(collection, name)}`;
  }

  path(collection: string, name: string): string {
    return join(this.#directory(collection), checkSnapshotName(name));
  }

  #directory(collection: string): string {
    return join(this.root, encodeFolder(collection));
  }
}

/** Stored names may start with '.' (another tenant's): encoded so no folder is hidden or special. */
function encodeFolder(collection: string): string {
  return encodeURIComponent(collection).replace(/^\./, '%2E');
}

function decodeFolder(folder: string): string {
  try {
    return decodeURIComponent(folder);
  } catch {
    throw new StrataError('INVALID_ARGUMENT', `${JSON.stringify(folder)} is not a snapshots folder`);
  }
}

function partialDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, '');
}

function notFound(collection: string, name: string): StrataError {
  const client = collection.startsWith('.') ? collection.slice(collection.indexOf('.', 1) + 1) : collection;
  return new StrataError(
    'NOT_FOUND',
    `collection ${client} has no snapshot ${name}; list_snapshots shows those there are`,
    {
      details: { snapshot: name },
    },
  );
}
