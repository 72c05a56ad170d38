import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StrataError } from '../../kernel/index.js';
import type { Engine, KernelCode } from '../engine/engine.js';
import { createEngine } from '../engine/select.js';
import type { SlotSpace } from '../filter/id-mask.js';
import { kernelOf, rowBytes } from '../metric.js';
import type { BackendChoice, Metric } from '../types.js';
import type { BlockCache, BlockSource, CacheFile } from './block-cache.js';
import type { FullVectors } from './full-vectors.js';
import { RowSlots } from './row-slots.js';

export interface DiskFullVectorsOptions {
  /** The file, created (or emptied) on construction and deleted by `close()`. */
  readonly path: string;
  readonly dimension: number;
  readonly metric: Metric;
  /** The cache of file blocks, usually one shared by every store of the process. */
  readonly cache: BlockCache;
  readonly backend?: BackendChoice;
  /** Rows per cached block; by default as many as fit in 4 KiB, at least one. */
  readonly blockRows?: number;
}

/** Target block size: the page of the OS page cache and the read unit of an SSD (see decision 0014). */
const BLOCK_BYTES = 4096;
/** Rows read per step by `entries()`, which bypasses the cache: about 1 MiB at a time. */
const SCAN_BYTES = 1 << 20;

/**
 * FullVectors in a file behind a bounded LRU cache of its blocks (RAM → cache → disk): row r of
 * the file is slot r, `dimension` float32 values, and a deleted row is reused by the next insert.
 * Only the ids and the cached blocks are in RAM. Reads and writes are synchronous because
 * rescoring is. Writes go through to the file and into a cached copy of their block; they never
 * load a block, so bulk inserts (a replay) leave the cache to the searches. A distance copies the
 * row into a scratch row of an Engine and runs the kernel EngineFullVectors runs: the same
 * distances, bit for bit.
 */
export class DiskFullVectors implements FullVectors {
  readonly dimension: number;
  readonly #path: string;
  readonly #cache: BlockCache;
  readonly #file: CacheFile;
  #fd: number | undefined;
  readonly #engine: Engine;
  readonly #kernel: KernelCode;
  /** Byte address of the scratch row in the engine memory; the query's is BASE. */
  readonly #scratchAt: number;
  readonly #scratch: Uint8Array;
  readonly #fileRowBytes: number;
  readonly #blockRows: number;
  readonly #blockBytes: number;
  readonly #rows = new RowSlots(1024);
  /** Made once: a closure per read would be garbage on every rescored candidate. */
  readonly #source: BlockSource = {
    readBlock: (block, into) => {
      const fd = this.#fd;
      if (fd === undefined) return;
      fileOp('read', this.#path, () => {
        readFully(fd, into, block * this.#blockBytes);
      });
    },
  };

  constructor(options: DiskFullVectorsOptions) {
    this.dimension = options.dimension;
    this.#path = options.path;
    this.#cache = options.cache;
    this.#fileRowBytes = options.dimension * 4;
    this.#blockRows = Math.max(1, Math.floor(options.blockRows ?? BLOCK_BYTES / this.#fileRowBytes));
    this.#blockBytes = this.#blockRows * this.#fileRowBytes;
    this.#engine = createEngine(options.backend ?? 'auto');
    this.#kernel = kernelOf[options.metric];
    this.#scratchAt = BASE + rowBytes(options.dimension);
    // Sized once: the buffer (and so the scratch view) never changes after this.
    this.#engine.grow(this.#scratchAt + rowBytes(options.dimension));
    this.#scratch = new Uint8Array(this.#engine.buffer(), this.#scratchAt, this.#fileRowBytes);
    this.#fd = fileOp('create', options.path, () => {
      mkdirSync(dirname(options.path), { recursive: true });
      return openSync(options.path, 'w+');
    });
    this.#file = this.#cache.register();
  }

  get size(): number {
    return this.#rows.size;
  }

  has(id: number): boolean {
    return this.#rows.has(id);
  }

  /** A copy of the row: a view of the scratch row would change with the next distance. */
  get(id: number): Float32Array | undefined {
    const row = this.#rows.rowOf(id);
    if (row === undefined || !this.#load(row)) return undefined;
    return new Float32Array(this.#engine.buffer(), this.#scratchAt, this.dimension).slice();
  }

  // A closed store (its collection dropped) takes no more writes: they would have no file to go to.
  set(id: number, vector: Float32Array): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    // The file grows as rows are written: nothing to make room for.
    const row = this.#rows.claim(id, () => undefined);
    const bytes = new Uint8Array(vector.buffer, vector.byteOffset, this.#fileRowBytes);
    fileOp('write', this.#path, () => {
      writeFully(fd, bytes, row * this.#fileRowBytes);
    });
    const cached = this.#cache.peek(this.#file, Math.floor(row / this.#blockRows));
    cached?.set(bytes, (row % this.#blockRows) * this.#fileRowBytes);
  }

  delete(id: number): boolean {
    return this.#rows.release(id);
  }

  setQuery(query: Float32Array): void {
    new Float32Array(this.#engine.buffer(), BASE, this.dimension).set(query.subarray(0, this.dimension));
  }

  distance(id: number): number {
    const row = this.#rows.rowOf(id);
    if (row === undefined || !this.#load(row)) return Infinity;
    return this.#engine.distance(this.#kernel, BASE, this.#scratchAt, this.dimension);
  }

  slots(): SlotSpace {
    return this.#rows.slots();
  }

  /**
   * Reads the file front to back about 1 MiB at a time, past the cache (a snapshot or a rebuild
   * would otherwise evict every block the searches use). Each row is a view into that read buffer,
   * valid until the iterator takes its next step.
   */
  *entries(): IterableIterator<[number, Float32Array]> {
    const chunkRows = Math.max(1, Math.floor(SCAN_BYTES / this.#fileRowBytes));
    const buffer = new Uint8Array(chunkRows * this.#fileRowBytes);
    const used = this.#rows.used;
    for (let first = 0; first < used; first += chunkRows) {
      const fd = this.#fd;
      if (fd === undefined) return;
      fileOp('read', this.#path, () => {
        readFully(fd, buffer, first * this.#fileRowBytes);
      });
      const rows = Math.min(chunkRows, used - first);
      for (let r = 0; r < rows; r++) {
        const id = this.#rows.idAt(first + r);
        if (id !== undefined)
          yield [id, new Float32Array(buffer.buffer, r * this.#fileRowBytes, this.dimension)];
      }
    }
  }

  /** Bytes in RAM: this file's blocks in the cache (the file itself is `fileBytes()`). */
  bytes(): number {
    return this.#cache.bytesOf(this.#file);
  }

  idBytes(): number {
    return this.#rows.bytes();
  }

  /** Bytes of the file: every row allocated, live or free. */
  fileBytes(): number {
    return this.#rows.used * this.#fileRowBytes;
  }

  /** Closes and deletes the file and forgets its cached blocks; the store answers as empty after. */
  close(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    closeSync(fd);
    rmSync(this.#path, { force: true });
    this.#cache.drop(this.#file);
    this.#rows.clear();
  }

  // Copies `row` into the scratch row through the cache; false once closed.
  #load(row: number): boolean {
    if (this.#fd === undefined) return false;
    const block = Math.floor(row / this.#blockRows);
    const data = this.#cache.read(this.#file, block, this.#blockBytes, this.#source);
    // A block of one row is the row: no view to make.
    if (this.#blockRows === 1) this.#scratch.set(data);
    else {
      const at = (row % this.#blockRows) * this.#fileRowBytes;
      this.#scratch.set(data.subarray(at, at + this.#fileRowBytes));
    }
    return true;
  }
}

// Address 0 stays unused, as in the index memories; rows start on a cache line.
const BASE = 64;

/**
 * Runs a file operation, turning a failure (a full disk, a removed folder) into an INTERNAL error
 * that names the file: the caller is a search or an apply that cannot do without it.
 */
function fileOp<T>(what: 'create' | 'read' | 'write', path: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new StrataError(
      'INTERNAL',
      `cannot ${what} the full-vector file ${path} (${code}); check free space and permissions under the data directory, then restart to rebuild it`,
      { cause: error },
    );
  }
}

function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length;) {
    done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  }
}

/** Fills `into` from `position`; what lies past the end of the file (rows never written) reads as zeros. */
function readFully(fd: number, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.length) {
    const read = readSync(fd, into, done, into.length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  into.fill(0, done);
}
