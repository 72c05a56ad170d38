import { rename, truncate } from 'node:fs/promises';
import { StrataError, isStrataError, type Logger } from '../../kernel/index.js';
import type { AuditFailure } from './chain-verifier.js';
import { scanAuditFile } from './file-verify.js';
import { emptyChain, type AuditEntry, type ChainHead } from './record.js';

// Opening an audit file: where its chain ends, what to do with a torn or damaged one.

interface Resumed {
  readonly head: ChainHead;
  readonly created: boolean;
  readonly segmentStart?: AuditEntry;
}

/** Where the chain in the file ends, after cutting a torn last line or setting a broken file aside. */
export async function resume(options: {
  readonly path: string;
  readonly logger: Logger;
  readonly onBrokenChain?: 'refuse' | 'new-segment';
}): Promise<Resumed> {
  const { path, logger } = options;
  let scan;
  try {
    scan = await scanAuditFile(path);
  } catch (error) {
    if (isStrataError(error) && error.code === 'NOT_FOUND') return { head: emptyChain, created: true };
    throw error;
  }
  const { verification } = scan;
  if (verification.ok) {
    return { head: { seq: verification.lastSeq, hash: verification.lastHash }, created: false };
  }
  if (verification.problem === 'incomplete') {
    await truncate(path, scan.validEnd);
    logger.warn(
      {
        path,
        line: verification.line,
        droppedBytes: scan.size - scan.validEnd,
        lastSeq: verification.lastGood.seq,
      },
      'audit log: dropped an incomplete last line left by a crash mid-write',
    );
    return { head: verification.lastGood, created: false };
  }
  if (options.onBrokenChain !== 'new-segment') {
    throw new StrataError(
      'INTERNAL',
      `The audit log at ${path} is damaged, so Strata will not extend it: ${verification.reason}. Keep the file as evidence, then move it aside or open the log with onBrokenChain "new-segment".`,
      { details: { path, ...verification } },
    );
  }
  const brokenFile = `${path}.broken-${new Date().toISOString().replaceAll(':', '-')}`;
  await rename(path, brokenFile);
  logger.error({ path, brokenFile, ...verification }, 'audit log: chain broken, started a new segment');
  return { head: emptyChain, created: true, segmentStart: newSegmentEntry(path, brokenFile, verification) };
}

function newSegmentEntry(path: string, brokenFile: string, failure: AuditFailure): AuditEntry {
  return {
    actor: 'strata',
    tenant: '',
    action: 'audit.segment.start',
    resource: path,
    outcome: 'success',
    requestId: '',
    details: {
      brokenFile,
      problem: failure.problem,
      reason: failure.reason,
      ...(failure.line === undefined ? {} : { line: failure.line }),
      lastGoodSeq: failure.lastGood.seq,
      lastGoodHash: failure.lastGood.hash,
    },
  };
}
