import type { ByteWriter } from '../../kernel/index.js';
import type { ByteSource } from './byte-source.js';

/** A stored blob opened for reading; close() when done. */
export interface BlobFile extends ByteSource {
  close(): void;
}

/**
 * Where snapshots go (ARCHITECTURE.md §4): the filesystem in embedded mode; the NATS object store
 * or an S3-compatible bucket later (which would stage the blob in a local file, then upload it).
 * Names are `/`-separated paths of plain segments. Blobs go in and come out a chunk at a time, so
 * a blob larger than memory can be written and read.
 */
export interface BlobStore {
  /** True when a reader sees either the whole previous blob or the whole new one, never a mix. */
  readonly atomicPut: boolean;
  /**
   * Writes the blob `body` hands over. A caller serialising live state keeps it from changing
   * until `body` has finished (an asynchronous body may give the event loop turns).
   */
  put(name: string, body: ByteWriter): Promise<void>;
  /** The blob, opened, or undefined when there is none of that name. */
  open(name: string): Promise<BlobFile | undefined>;
  /** The names that start with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes the blob; removing one that does not exist is not an error. */
  delete(name: string): Promise<void>;
}
