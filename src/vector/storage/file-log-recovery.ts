import { open, readFile } from 'node:fs/promises';
import { StrataError, type Logger } from '../../kernel/index.js';
import { fsyncDirectory } from './durable-fs.js';
import { scanSegment, segmentPath, type Segment } from './segment.js';

/** Creates an empty segment; the directory is synced so that its name survives a power failure. */
export async function createSegment(directory: string, base: number): Promise<Segment> {
  const path = segmentPath(directory, base);
  await (await open(path, 'wx')).close();
  await fsyncDirectory(directory);
  return { base, path };
}

/** Verifies the last segment and truncates a torn or corrupt tail, saying so in the log. */
export async function repairTail(
  segment: Segment,
  logger: Logger,
): Promise<{ size: number; records: number }> {
  const buffer = await readFile(segment.path);
  const scan = scanSegment(buffer, segment.base);
  if (scan.problem === undefined) return { size: buffer.length, records: scan.records };
  const facts = { segment: segment.path, offset: scan.validEnd, reason: scan.problem.reason };
  if (scan.problem.followedByGoodRecord) {
    throw new StrataError('INTERNAL', `The operation log is corrupt in the middle of ${segment.path}.`, {
      details: facts,
    });
  }
  const handle = await open(segment.path, 'r+');
  try {
    await handle.truncate(scan.validEnd);
    await handle.sync();
  } finally {
    await handle.close();
  }
  logger.warn(
    { ...facts, droppedBytes: buffer.length - scan.validEnd, lastSequence: segment.base + scan.records - 1 },
    'operation log: dropped a torn or corrupt tail record',
  );
  return { size: scan.validEnd, records: scan.records };
}
