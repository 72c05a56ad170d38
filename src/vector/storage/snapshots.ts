import { crc32 } from 'node:zlib';
import { writeChunks, type Logger } from '../../kernel/index.js';
import type { BlobFile, BlobStore } from './blob-store.js';
import { sliceSource, type ByteSource } from './byte-source.js';

/**
 * Snapshots of one collection: `snapshots/<collection>/<sequence>.snap`, each the collection
 * layer's opaque state bytes in a frame: [magic "STS2" u32][reserved u32][sequence u64][state]
 * [crc32 u32 of everything from the sequence on]. The checksum is ours because a blob store
 * guarantees an atomic put, not that the bytes read back are still right; it trails the state so
 * that the frame is written in one pass, a chunk at a time. Snapshots of earlier versions
 * ([magic "STSN"][crc32][sequence][state]) are still read.
 */
export interface Snapshot {
  readonly sequence: number;
  /** The state bytes, read from the blob; valid until close(). */
  readonly state: ByteSource;
  close(): void;
}

/**
 * What a snapshot is taken of: a collection, whose state is serialised at its sequence. It must not
 * change until the snapshot is written: the writer gives the event loop turns between chunks.
 */
export interface SnapshotState {
  readonly sequence: number;
  stateChunks(): Iterable<Uint8Array>;
}

export interface WrittenSnapshot {
  readonly name: string;
  readonly sequence: number;
  /**
   * The log may drop entries through this sequence: the oldest snapshot kept. Not the new one's,
   * so that if it reads back damaged, the previous snapshot plus the log still rebuild the state.
   */
  readonly truncatableThrough: number;
}

const magic = 0x3253_5453; // "STS2"
const legacyMagic = 0x4e53_5453; // "STSN": the checksum before the state
const frontBytes = 16;
const trailerBytes = 4;
/** Bytes read at a time to check a snapshot's checksum. */
const checkChunk = 1 << 20;

/**
 * Writes `state` as a snapshot of `collection` at the sequence it has at the call, giving the event
 * loop turns as it goes (the caller keeps the state from changing until the promise settles), and
 * deletes all but the newest `keep` snapshots.
 */
export async function writeSnapshot(
  store: BlobStore,
  collection: string,
  state: SnapshotState,
  keep = 2,
): Promise<WrittenSnapshot> {
  const sequence = state.sequence;
  const name = `${prefix(collection)}${String(sequence).padStart(20, '0')}.snap`;
  await store.put(name, async (write) => {
    const front = Buffer.alloc(frontBytes);
    front.writeUInt32LE(magic, 0);
    front.writeBigUInt64LE(BigInt(sequence), 8);
    write(front);
    let checksum = crc32(front.subarray(8));
    await writeChunks(state.stateChunks(), (chunk) => {
      checksum = crc32(chunk, checksum);
      write(chunk);
    });
    const trailer = Buffer.alloc(trailerBytes);
    trailer.writeUInt32LE(checksum, 0);
    write(trailer);
  });

  const names = await snapshotNames(store, collection);
  const kept = names.slice(-Math.max(1, keep));
  for (const old of names.slice(0, names.length - kept.length)) await store.delete(old);
  return { name, sequence, truncatableThrough: sequenceOf(kept[0] ?? name) };
}

/**
 * The newest snapshot that verifies (its checksum read through once, a chunk at a time); a damaged
 * one is reported and the next older one used. The caller closes it.
 */
export async function latestSnapshot(
  store: BlobStore,
  collection: string,
  logger: Logger,
): Promise<Snapshot | undefined> {
  for (const name of (await snapshotNames(store, collection)).reverse()) {
    const blob = await store.open(name);
    if (blob === undefined) continue;
    const snapshot = verified(blob);
    if (snapshot?.sequence === sequenceOf(name)) return snapshot;
    blob.close();
    logger.warn({ collection, snapshot: name }, 'snapshot failed verification; trying the previous one');
  }
  return undefined;
}

/** Removes every snapshot of a collection (the collection was deleted). */
export async function deleteSnapshots(store: BlobStore, collection: string): Promise<void> {
  for (const name of await snapshotNames(store, collection)) await store.delete(name);
}

function verified(blob: BlobFile): Snapshot | undefined {
  if (blob.size < frontBytes) return undefined;
  const front = Buffer.from(blob.read(0, frontBytes));
  const legacy = front.readUInt32LE(0) === legacyMagic;
  if (!legacy && (front.readUInt32LE(0) !== magic || blob.size < frontBytes + trailerBytes)) return undefined;
  const end = legacy ? blob.size : blob.size - trailerBytes;
  let checksum = 0;
  for (let at = 8; at < end; at += checkChunk)
    checksum = crc32(blob.read(at, Math.min(checkChunk, end - at)), checksum);
  const expected = legacy ? front.readUInt32LE(4) : Buffer.from(blob.read(end, trailerBytes)).readUInt32LE(0);
  if (checksum !== expected) return undefined;
  return {
    sequence: Number(front.readBigUInt64LE(8)),
    state: sliceSource(blob, frontBytes, end),
    close: () => {
      blob.close();
    },
  };
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
