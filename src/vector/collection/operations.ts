import { StrataError } from '../../kernel/index.js';
import type { PointId } from './point-id.js';
import type { PcaReduction } from './params.js';
import type { Payload } from './payload.js';

/**
 * A collection mutation as it is logged. Operations are resolved before they are logged (a delete
 * by filter is logged as the ids it matched), so replaying the log never re-evaluates a filter and
 * always rebuilds the same state.
 */
export type Operation =
  | { readonly op: 'upsert'; readonly points: readonly PointWrite[] }
  | { readonly op: 'delete'; readonly ids: readonly PointId[] }
  | {
      readonly op: 'set_payload';
      readonly ids: readonly PointId[];
      readonly payload: Payload;
      readonly key?: string;
    }
  | { readonly op: 'overwrite_payload'; readonly ids: readonly PointId[]; readonly payload: Payload }
  | { readonly op: 'delete_payload'; readonly ids: readonly PointId[]; readonly keys: readonly string[] }
  | { readonly op: 'clear_payload'; readonly ids: readonly PointId[] }
  | { readonly op: 'create_payload_index'; readonly field: string; readonly schema: string }
  | { readonly op: 'delete_payload_index'; readonly field: string }
  /** Rebuilds the index through this PCA reduction, or without one (null). */
  | { readonly op: 'set_pca'; readonly pca: PcaReduction | null }
  | {
      readonly op: 'update_hnsw';
      readonly m: number;
      readonly efConstruct: number;
      readonly fullScanThreshold: number;
    };

export interface PointWrite {
  readonly id: PointId;
  /** As stored: float32 (upsertPoints rounds a request's numbers), or numbers from a log entry of before. */
  readonly vector: ArrayLike<number>;
  readonly payload: Payload;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The first byte of an upsert's log entry in binary; every other entry is JSON text, whose first
 * byte is `{`. Binary: this byte, a u32 (little-endian) length, that many bytes of JSON
 * `{ids, payloads, dimension}`, zero bytes up to a multiple of 4, then the vectors as float32 rows
 * in the host's byte order (as collection states hold them). A fraction of the size of the vectors
 * as JSON numbers (4 bytes a component against 18-20 characters at full precision), written and
 * read without formatting or parsing them.
 */
const BINARY_UPSERT = 1;
const BINARY_HEADER_AT = 5;

interface BinaryUpsertHeader {
  readonly ids: PointId[];
  readonly payloads: Payload[];
  readonly dimension: number;
}

export function encodeOperation(operation: Operation): Uint8Array {
  if (operation.op !== 'upsert') return encoder.encode(JSON.stringify(operation));
  const { points } = operation;
  const dimension = points[0]?.vector.length ?? 0;
  const header = encoder.encode(
    JSON.stringify({
      ids: points.map((point) => point.id),
      payloads: points.map((point) => point.payload),
      dimension,
    } satisfies BinaryUpsertHeader),
  );
  const vectorsAt = alignedTo4(BINARY_HEADER_AT + header.byteLength);
  const bytes = new Uint8Array(vectorsAt + points.length * dimension * 4);
  bytes[0] = BINARY_UPSERT;
  new DataView(bytes.buffer).setUint32(1, header.byteLength, true);
  bytes.set(header, BINARY_HEADER_AT);
  const vectors = new Float32Array(bytes.buffer, vectorsAt, points.length * dimension);
  points.forEach((point, i) => {
    vectors.set(point.vector, i * dimension);
  });
  return bytes;
}

export function decodeOperation(bytes: Uint8Array): Operation {
  if (bytes[0] !== BINARY_UPSERT) return JSON.parse(decoder.decode(bytes)) as Operation;
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1, true);
  const header = JSON.parse(
    decoder.decode(bytes.subarray(BINARY_HEADER_AT, BINARY_HEADER_AT + headerBytes)),
  ) as BinaryUpsertHeader;
  const { ids, payloads, dimension } = header;
  const vectorsAt = alignedTo4(BINARY_HEADER_AT + headerBytes);
  if (bytes.byteLength !== vectorsAt + ids.length * dimension * 4 || payloads.length !== ids.length) {
    throw new StrataError(
      'INTERNAL',
      `a logged upsert of ${String(ids.length)} points of ${String(dimension)} dimensions has ${String(bytes.byteLength)} bytes, which does not fit its layout`,
    );
  }
  // Copied out: an entry read from the log need not start at a multiple of 4.
  const vectors = new Float32Array(ids.length * dimension);
  new Uint8Array(vectors.buffer).set(bytes.subarray(vectorsAt));
  return {
    op: 'upsert',
    points: ids.map((id, i) => ({
      id,
      vector: vectors.subarray(i * dimension, (i + 1) * dimension),
      payload: payloads[i] ?? {},
    })),
  };
}

function alignedTo4(offset: number): number {
  return Math.ceil(offset / 4) * 4;
}
