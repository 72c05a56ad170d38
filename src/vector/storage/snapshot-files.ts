import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, mkdirSync, type ReadStream } from 'node:fs';
import { lstat, readFile, readdir, stat, unlink } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  StrataError,
  isStrataError,
  stageFile,
  writeFileAtomically,
  type ByteWriter,
  type StagedFile,
} from '../../kernel/index.js';
import { FileSource, sliceSource, type ByteSource } from './byte-source.js';
import { isNotFound } from './durable-fs.js';

/**
 * Collection snapshots that users create, download and restore (Qdrant's snapshot API), apart
 * from the internal snapshots that let the log be truncated (snapshots.ts): they live in their own
 * folder, `<root>/<collection>/<name>.snapshot`, and are never deleted by log truncation.
 *
 * A file is self-describing: [magic 8 bytes "STRATASN"][format u32 = 2][reserved u32][body]
 * [SHA-256 of the body, 32 bytes], where the body is the collection's own state bytes (parameters,
 * payload indexes, points and vectors at one sequence). The hash trails the body so that a file is
 * written in one pass, a chunk at a time; format 1 files (the hash before the body, at byte 16)
 * are still read. The embedded hash is what makes a damaged or truncated upload fail before
 * anything is replaced; the checksum Qdrant reports (SHA-256 of the whole file, kept beside it in
 * `<name>.checksum`) is what a client checks a download against.
 */
export interface SnapshotDescription {
  readonly name: string;
  /** Qdrant's partial date-time, UTC: `2026-12-04T20:35:43`. */
  readonly creation_time: string;
  readonly size: number;
  readonly checksum: string;
}

const magic = Buffer.from('STRATASN', 'ascii');
const formatVersion = 2;
const frontBytes = 16;
const hashBytes = 32;
const suffix = '.snapshot';
const namePattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}\.snapshot$/;
/** Bytes hashed at a time when a file is verified. */
const hashChunk = 1 << 20;

/**
 * Writes a snapshot file around the body `body` hands over into a staged file beside `path`;
 * returns it with the SHA-256 of the whole file.
 */
async function stageSnapshotFile(
  path: string,
  body: ByteWriter,
): Promise<{ staged: StagedFile; checksum: string }> {
  const whole = createHash('sha256');
  const bodyHash = createHash('sha256');
  const staged = await stageFile(path, async (write) => {
    const front = Buffer.alloc(frontBytes);
    magic.copy(front, 0);
    front.writeUInt32LE(formatVersion, 8);
    whole.update(front);
    write(front);
    await body((chunk) => {
      bodyHash.update(chunk);
      whole.update(chunk);
      write(chunk);
    });
    const trailer = bodyHash.digest();
    whole.update(trailer);
    write(trailer);
  });
  return { staged, checksum: whole.digest('hex') };
}

/**
 * The collection state bytes of a snapshot file, read through once to check its embedded hash
 * and, when given, `checksum` (the whole file's SHA-256); INVALID_ARGUMENT naming what is wrong
 * otherwise.
 */
export async function snapshotBody(file: ByteSource, checksum?: string): Promise<ByteSource> {
  if (file.size < frontBytes || !Buffer.from(file.read(0, magic.length)).equals(magic)) {
    throw damaged('it is not a Strata snapshot file (Qdrant snapshot archives cannot be restored)');
  }
  const version = Buffer.from(file.read(8, 4)).readUInt32LE(0);
  if (version !== 1 && version !== formatVersion) {
    throw damaged(
      `its format version ${String(version)} is not one this Strata reads (1 and ${String(formatVersion)})`,
    );
  }
  // Format 1: [front][hash][body]; format 2: [front][body][hash].
  const hashAt = version === 1 ? frontBytes : file.size - hashBytes;
  const start = version === 1 ? frontBytes + hashBytes : frontBytes;
  const end = version === 1 ? file.size : file.size - hashBytes;
  if (end < start) throw damaged('it is truncated');
  const whole = createHash('sha256');
  const bodyHash = createHash('sha256');
  for (let at = 0; at < file.size; at += hashChunk) {
    const bytes = file.read(at, Math.min(hashChunk, file.size - at));
    whole.update(bytes);
    const from = Math.max(start, at) - at;
    const to = Math.min(end, at + bytes.byteLength) - at;
    if (to > from) bodyHash.update(bytes.subarray(from, to));
    // A turn for the event loop between chunks: a large file takes a while to hash.
    await new Promise(setImmediate);
  }
  if (checksum !== undefined && whole.digest('hex') !== checksum.toLowerCase()) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      'snapshot refused: its SHA-256 does not match the checksum given; nothing was changed',
      { details: { checksum } },
    );
  }
  if (!bodyHash.digest().equals(file.read(hashAt, hashBytes))) {
    throw damaged('its content does not match its checksum (damaged or truncated)');
  }
  return sliceSource(file, start, end);
}

/** The SHA-256 of a file, read as a stream. */
async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
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

  /**
   * Writes a snapshot of `collection` (stored name) named after `label` and the time, with the
   * body `body` hands over, only a chunk of it in memory at a time.
   */
  async create(
    collection: string,
    label: string,
    body: ByteWriter,
    now = new Date(),
  ): Promise<SnapshotDescription> {
    const stamp = now.toISOString().replace(/[:T]/g, '-').replace(/\..*$/, '');
    const millis = String(now.getUTCMilliseconds()).padStart(3, '0');
    const name = checkSnapshotName(`${label}-${stamp}-${millis}${suffix}`);
    const directory = this.#directory(collection);
    mkdirSync(directory, { recursive: true });
    const { staged, checksum } = await stageSnapshotFile(join(directory, name), body);
    // The checksum first: a snapshot file never exists without it, so listings never hash files.
    try {
      await writeFileAtomically(join(directory, `${name}.checksum`), checksum);
    } catch (error) {
      await staged.discard();
      throw error;
    }
    try {
      await staged.commit();
    } catch (error) {
      await unlink(join(directory, `${name}.checksum`)).catch(() => undefined);
      throw error;
    }
    return { name, creation_time: partialDateTime(now), size: staged.size, checksum };
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
        return await fileSha256(path);
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

  /** The snapshot file opened for positional reads (close it when done); NOT_FOUND when there is none. */
  source(collection: string, name: string): FileSource {
    const path = this.path(collection, name);
    try {
      if (!lstatSync(path).isFile()) throw notFound(collection, name);
      return new FileSource(path);
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
