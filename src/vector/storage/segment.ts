import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecord } from './record.js';

/**
 * A segment file holds contiguous records and is named after the sequence its first record has (or
 * would have, while empty), zero-padded so names sort like numbers. The name alone therefore says
 * where the log starts and, for an empty last segment, where it continues.
 */
export interface Segment {
  readonly base: number;
  readonly path: string;
}

const suffix = '.wal';

export function segmentPath(directory: string, base: number): string {
  return join(directory, `${String(base).padStart(20, '0')}${suffix}`);
}

/** The segments of a log directory, oldest first; other files (a lock, notes) are ignored. */
export async function listSegments(directory: string): Promise<Segment[]> {
  const names = await readdir(directory);
  return names
    .filter((name) => /^\d{20}\.wal$/.test(name))
    .map((name) => ({ base: Number(name.slice(0, -suffix.length)), path: join(directory, name) }))
    .sort((a, b) => a.base - b.base);
}

export interface SegmentScan {
  /** Records that verified, all contiguous from the segment's base. */
  readonly records: number;
  /** Byte offset just past the last good record. */
  readonly validEnd: number;
  /** Why the scan stopped before the end of the buffer; undefined when every byte verified. */
  readonly problem: ScanProblem | undefined;
}

export interface ScanProblem {
  readonly reason: string;
  /** True when a good record follows the bad one: damage in the middle, not a torn tail. */
  readonly followedByGoodRecord: boolean;
}

/** Verifies every record of a segment: checksum, and sequences contiguous from `base`. */
export function scanSegment(buffer: Buffer, base: number): SegmentScan {
  let offset = 0;
  let expected = base;
  while (offset < buffer.length) {
    const decoded = decodeRecord(buffer, offset);
    if (decoded.kind === 'short') {
      return stop(`torn record (${buffer.length - offset} trailing bytes)`, undefined);
    }
    if (decoded.kind === 'corrupt') return stop(decoded.reason, decoded.end);
    if (decoded.sequence !== expected) {
      return stop(`sequence ${decoded.sequence} where ${expected} was expected`, undefined);
    }
    expected += 1;
    offset = decoded.end;
  }
  return { records: expected - base, validEnd: offset, problem: undefined };

  function stop(reason: string, badEnd: number | undefined): SegmentScan {
    // A crash tears only the last write, so a verified record after the bad one means the disk
    // damaged acknowledged data: truncating there would silently drop the records that follow.
    const next = badEnd === undefined ? undefined : decodeRecord(buffer, badEnd);
    const followedByGoodRecord = next?.kind === 'record' && next.sequence === expected + 1;
    return { records: expected - base, validEnd: offset, problem: { reason, followedByGoodRecord } };
  }
}
