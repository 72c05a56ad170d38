import { crc32 } from 'node:zlib';
import type { Logger } from '../../kernel/index.js';
import type { BlobStore } from './blob-store.js';

/**
 * Snapshots of one collection: `snapshots/<collection>/<sequence>.snap`, each the collection
 * layer's opaque bytes behind a header [magic u32][crc32 u32][sequence u64]. The checksum is ours
 * because a blob store guarantees an atomic put, not that the bytes read back are still right.
 */
export interface Snapshot {
  readonly sequence: number;
  readonly bytes: Uint8Array;
}

export interface WrittenSnapshot {
  readonly name: string;
  /**
   * The log may drop entries through this sequence: the oldest snapshot kept. Not the new one's,
   * so that if it reads back damaged, the previous snapshot plus the log still rebuild the state.
   */
  readonly truncatableThrough: number;
}

const magic = 0x4e535453; // "STSN"
const headerBytes = 16;

export async function writeSnapshot(
  store: BlobStore,
  collection: string,
  sequence: number,
  bytes: Uint8Array,
  keep = 2,
): Promise<WrittenSnapshot> {
  const blob = Buffer.allocUnsafe(headerBytes + bytes.byteLength);
  blob.writeUInt32LE(magic, 0);
  blob.writeBigUInt64LE(BigInt(sequence), 8);
  blob.set(bytes, headerBytes);
  blob.writeUInt32LE(crc32(blob.subarray(8)), 4);
  const name = `${prefix(collection)}${String(sequence).padStart(20, '0')}.snap`;
  await store.put(name, blob);

  const names = await snapshotNames(store, collection);
  const kept = names.slice(-Math.max(1, keep));
  for (const old of names.slice(0, names.length - kept.length)) await store.delete(old);
  return { name, truncatableThrough: sequenceOf(kept[0] ?? name) };
}

/** The newest snapshot that verifies; a damaged one is reported and the next older one used. */
export async function latestSnapshot(
  store: BlobStore,
  collection: string,
  logger: Logger,
): Promise<Snapshot | undefined> {
  for (const name of (await snapshotNames(store, collection)).reverse()) {
    const blob = await store.get(name);
    const snapshot =
      blob === undefined ? undefined : decode(Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength));
    if (snapshot?.sequence === sequenceOf(name)) return snapshot;
    logger.warn({ collection, snapshot: name }, 'snapshot failed verification; trying the previous one');
  }
  return undefined;
}

/** Removes every snapshot of a collection (the collection was deleted). */
export async function deleteSnapshots(store: BlobStore, collection: string): Promise<void> {
  for (const name of await snapshotNames(store, collection)) await store.delete(name);
}

function decode(blob: Buffer): Snapshot | undefined {
  if (blob.length < headerBytes || blob.readUInt32LE(0) !== magic) return undefined;
  if (blob.readUInt32LE(4) !== crc32(blob.subarray(8))) return undefined;
  return { sequence: Number(blob.readBigUInt64LE(8)), bytes: blob.subarray(headerBytes) };
}

async function snapshotNames(store: BlobStore, collection: string): Promise<string[]> {
  const names = await store.list(prefix(collection));
  // Zero-padded sequences: lexical order is numeric order.
  return names.filter((name) => /\/\d{20}\.snap$/.test(name)).sort();
}

function sequenceOf(name: string): number {
  return Number(name.slice(-25, -5));
}

/** Collection names are user input: encoded so that one never spans or escapes a path segment. */
function prefix(collection: string): string {
  return `snapshots/${encodeURIComponent(collection).replace(/^\./, '%2E')}/`;
}
