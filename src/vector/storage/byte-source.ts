import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StrataError } from '../../kernel/index.js';

/**
 * Bytes read by position, synchronously: a buffer, or a file read a range at a time. Snapshots are
 * read through this so that a file of any size is never held whole in memory.
 */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes from `position`; the caller keeps within `size`. */
  read(position: number, length: number): Uint8Array;
}

/** A source over bytes in memory (an upload); reads are views, not copies. */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.byteLength, read: (position, length) => bytes.subarray(position, position + length) };
}

/** The bytes of `source` from `start` to `end`, as a source of their own. */
export function sliceSource(source: ByteSource, start: number, end = source.size): ByteSource {
  return { size: end - start, read: (position, length) => source.read(start + position, length) };
}

/** A file opened for positional reads; close() when done. */
export class FileSource implements ByteSource {
  readonly size: number;
  readonly #fd: number;

  constructor(path: string) {
    this.#fd = openSync(path, 'r');
    this.size = fstatSync(this.#fd).size;
  }

  read(position: number, length: number): Uint8Array {
    const bytes = Buffer.allocUnsafe(length);
    for (let at = 0; at < length;) {
      const read = readSync(this.#fd, bytes, at, length - at, position + at);
      if (read === 0) throw new Error(`the file ended at byte ${String(position + at)} while reading`);
      at += read;
    }
    return bytes;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/**
 * Reads a source front to back. Running past its end is INVALID_ARGUMENT naming the shortfall: a
 * truncated snapshot says so instead of reading garbage.
 */
export class ByteReader {
  #position = 0;

  constructor(private readonly source: ByteSource) {}

  get done(): boolean {
    return this.#position >= this.source.size;
  }

  read(length: number): Uint8Array {
    if (this.#position + length > this.source.size) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `the snapshot ends at byte ${String(this.source.size)}, but ${String(length)} bytes from byte ${String(this.#position)} were expected`,
      );
    }
    const bytes = this.source.read(this.#position, length);
    this.#position += length;
    return bytes;
  }

  uint32(): number {
    const bytes = this.read(4);
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  }
}
