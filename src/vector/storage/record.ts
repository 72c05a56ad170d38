import { crc32 } from 'node:zlib';

/**
 * One log record on disk: [length u32][crc32 u32][sequence u64][payload], little-endian. The CRC
 * covers the length, the sequence and the payload, so a flipped bit anywhere in a record — not
 * only in its payload — is detected. CRC-32 (not CRC-32C) because node:zlib computes it natively.
 */
export const headerBytes = 16;

/** Largest payload accepted; a garbage length field larger than this is reported as corrupt. */
export const maxEntryBytes = 256 * 1024 * 1024;

export function encodeRecord(sequence: number, payload: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(headerBytes + payload.byteLength);
  record.writeUInt32LE(payload.byteLength, 0);
  record.writeBigUInt64LE(BigInt(sequence), 8);
  record.set(payload, headerBytes);
  record.writeUInt32LE(checksum(record, payload.byteLength), 4);
  return record;
}

export type DecodeResult =
  | { readonly kind: 'record'; readonly sequence: number; readonly payload: Buffer; readonly end: number }
  /** Fewer bytes than the record needs: a write that a crash cut short. */
  | { readonly kind: 'short' }
  | { readonly kind: 'corrupt'; readonly reason: string; readonly end: number | undefined };

/** Decodes the record at `offset`; `end` is where the next record would start. */
export function decodeRecord(buffer: Buffer, offset: number): DecodeResult {
  if (buffer.length - offset < headerBytes) return { kind: 'short' };
  const length = buffer.readUInt32LE(offset);
  if (length > maxEntryBytes)
    return { kind: 'corrupt', reason: `length ${length} exceeds the limit`, end: undefined };
  const end = offset + headerBytes + length;
  if (end > buffer.length) return { kind: 'short' };
  const record = buffer.subarray(offset, end);
  if (record.readUInt32LE(4) !== checksum(record, length))
    return { kind: 'corrupt', reason: 'checksum mismatch', end };
  const sequence = Number(record.readBigUInt64LE(8));
  return { kind: 'record', sequence, payload: record.subarray(headerBytes), end };
}

function checksum(record: Buffer, length: number): number {
  const withLength = crc32(record.subarray(0, 4));
  return crc32(record.subarray(8, headerBytes + length), withLength);
}
