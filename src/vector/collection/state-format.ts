// The byte layout of a collection's state (Collection.stateChunks and Collection.restore): what
// snapshots and backups hold. Version 2 is a JSON header, then blocks of points and their vectors;
// states an earlier version wrote (no \`format\`) hold every point in the header.
import { StrataError } from '../../kernel/index.js';
import type { ByteReader } from '../storage/byte-source.js';
import type { CollectionParams } from './params.js';
import type { Payload } from './payload.js';
import type { PointId } from './point-id.js';

/** Points a block holds at most: whole build batches (256 each), as a restore hands them over. */
export const RESTORE_CHUNK = 4096;

const decoder = new TextDecoder();

/**
 * The layout of stateChunks: 2 is the header, then blocks of points and their vectors. Snapshots of
 * earlier versions (no `format`) hold every point in the header and every vector after it.
 */
export const STATE_FORMAT = 2;
/** The most vector bytes in one block of a state: what stateChunks and restore hold at a time. */
const BLOCK_VECTOR_BYTES = 4 << 20;

export type StatePoint = [PointId, number, Payload];

export interface StateHeader {
  readonly format?: number;
  readonly sequence: number;
  readonly params: CollectionParams;
  readonly payloadIndexes: [string, string][];
  /** Earlier versions only: every point, whose vectors follow the header in this order. */
  readonly points?: StatePoint[];
}

export function pointsPerBlock(dimension: number): number {
  return Math.max(1, Math.min(RESTORE_CHUNK, Math.floor(BLOCK_VECTOR_BYTES / (dimension * 4))));
}

/** `bytes` framed as [u32 length][bytes]: two chunks. */
export function* framed(bytes: Uint8Array): Generator<Uint8Array> {
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, bytes.byteLength, true);
  yield length;
  yield bytes;
}

/** The blocks of a state after its header: points and their vectors' bytes, in order. */
export function* stateBlocks(
  reader: ByteReader,
  header: StateHeader,
): Generator<{ points: StatePoint[]; vectors: Uint8Array }> {
  const rowBytes = header.params.dimension * 4;
  if (header.format === undefined) {
    const points = header.points ?? [];
    const perBlock = pointsPerBlock(header.params.dimension);
    for (let at = 0; at < points.length; at += perBlock) {
      const block = points.slice(at, at + perBlock);
      yield { points: block, vectors: reader.read(block.length * rowBytes) };
    }
    return;
  }
  if (header.format !== STATE_FORMAT) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `the collection state has format ${String(header.format)}; this Strata reads up to ${String(STATE_FORMAT)}`,
    );
  }
  while (!reader.done) {
    const points = JSON.parse(decoder.decode(reader.read(reader.uint32()))) as unknown;
    if (!Array.isArray(points)) {
      throw new StrataError('INVALID_ARGUMENT', 'a block of the collection state does not list points');
    }
    yield { points: points as StatePoint[], vectors: reader.read(points.length * rowBytes) };
  }
}
