import { readFile } from 'node:fs/promises';
import { StrataError } from '../../kernel/index.js';
import { isNotFound } from './durable-fs.js';
import type { ReplayReport } from './operation-log.js';
import { decodeRecord } from './record.js';
import type { Segment } from './segment.js';

/**
 * Reads the entries in (`afterSequence`, `untilSequence`] from segment files, verifying each
 * record. Only the last segment is verified when the log opens (that is where a crash tears a
 * write); older ones are verified here, as they are read, so opening a large log stays cheap and
 * segments a snapshot already covers are never read at all.
 */
export async function replaySegments(
  segments: readonly Segment[],
  afterSequence: number,
  untilSequence: number,
  apply: (sequence: number, entry: Uint8Array) => void,
): Promise<ReplayReport> {
  const first = segments[0];
  if (first === undefined || afterSequence + 1 < first.base) {
    throw corrupt(`Entries after ${afterSequence} were already truncated from the log`, {
      afterSequence,
      firstSequence: first?.base,
    });
  }
  if (afterSequence >= untilSequence) return { entries: 0, lastSequence: afterSequence };
  // The segment holding afterSequence + 1: earlier ones are covered and skipped unread.
  const from = Math.max(
    0,
    segments.findLastIndex((s) => s.base <= afterSequence + 1),
  );
  const needed = segments.slice(from);
  let expected = needed[0]?.base ?? first.base;
  let entries = 0;
  for (const segment of needed) {
    if (expected > untilSequence) break;
    if (segment.base !== expected) {
      throw corrupt(`Segment ${segment.path} starts at ${segment.base}; ${expected} was expected`, {});
    }
    const buffer = await read(segment);
    let offset = 0;
    while (expected <= untilSequence && offset < buffer.length) {
      const decoded = decodeRecord(buffer, offset);
      // A short record here is an append still in flight, past untilSequence; anything else is damage.
      if (decoded.kind === 'short') break;
      if (decoded.kind === 'corrupt' || decoded.sequence !== expected) {
        const reason = decoded.kind === 'corrupt' ? decoded.reason : `sequence ${decoded.sequence}`;
        throw corrupt(`The operation log is corrupt in ${segment.path} at byte ${offset}: ${reason}`, {
          segment: segment.path,
          offset,
          expectedSequence: expected,
        });
      }
      if (expected > afterSequence) {
        apply(expected, decoded.payload);
        entries += 1;
      }
      expected += 1;
      offset = decoded.end;
    }
  }
  if (expected <= untilSequence) {
    throw corrupt(
      `The operation log ends at ${expected - 1}; entries through ${untilSequence} were expected`,
      {},
    );
  }
  return { entries, lastSequence: untilSequence };
}

async function read(segment: Segment): Promise<Buffer> {
  try {
    return await readFile(segment.path);
  } catch (error) {
    if (isNotFound(error)) throw corrupt(`Segment ${segment.path} was truncated during replay`, {}, error);
    throw error;
  }
}

function corrupt(message: string, details: Record<string, unknown>, cause?: unknown): StrataError {
  return new StrataError('INTERNAL', `${message}.`, { details, ...(cause === undefined ? {} : { cause }) });
}
