/**
 * Where snapshots go (ARCHITECTURE.md §4): the filesystem in embedded mode; the NATS object store
 * or an S3-compatible bucket later. Names are `/`-separated paths of plain segments.
 */
export interface BlobStore {
  /** True when a reader sees either the whole previous blob or the whole new one, never a mix. */
  readonly atomicPut: boolean;
  put(name: string, bytes: Uint8Array): Promise<void>;
  /** The blob's bytes, or undefined when there is none of that name. */
  get(name: string): Promise<Uint8Array | undefined>;
  /** The names that start with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes the blob; removing one that does not exist is not an error. */
  delete(name: string): Promise<void>;
}
