import { open } from 'node:fs/promises';
import { StrataError } from '../../kernel/index.js';
import { ChainVerifier, lineFailure, type AuditVerification, type VerifyOptions } from './chain-verifier.js';

export interface FileScan {
  readonly verification: AuditVerification;
  /** Bytes up to the end of the last intact record: where an incomplete last line is cut. */
  readonly validEnd: number;
  readonly size: number;
}

/**
 * Checks every line of an audit file in order and names the first bad record: edited,
 * missing, reordered, malformed or cut off. A missing file is NOT_FOUND.
 */
export async function verifyAuditFile(path: string, options: VerifyOptions = {}): Promise<AuditVerification> {
  return (await scanAuditFile(path, options)).verification;
}

export async function scanAuditFile(path: string, options: VerifyOptions = {}): Promise<FileScan> {
  const verifier = new ChainVerifier(options.anchor);
  let validEnd = 0;
  let size = 0;
  for await (const line of readLines(path)) {
    size = line.end;
    if (!line.terminated) {
      const failure = lineFailure(
        verifier,
        'incomplete',
        'is incomplete (no newline): a write was cut off by a crash, or the file was truncated',
        line.number,
      );
      return { verification: failure, validEnd, size };
    }
    let value: unknown;
    try {
      value = JSON.parse(line.text) as unknown;
    } catch {
      const failure = lineFailure(verifier, 'malformed', 'is not JSON', line.number);
      return { verification: failure, validEnd, size };
    }
    const failure = verifier.next(value, line.number);
    if (failure !== undefined) return { verification: failure, validEnd, size };
    validEnd = line.end;
  }
  return { verification: verifier.finish(), validEnd, size };
}

interface Line {
  readonly text: string;
  readonly number: number;
  /** Byte offset just past the line (and its newline). */
  readonly end: number;
  readonly terminated: boolean;
}

/** The file's lines with their byte offsets, read in chunks: audit files outgrow memory. */
async function* readLines(path: string): AsyncGenerator<Line> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new StrataError('NOT_FOUND', `There is no audit log at ${path}; check the path.`, {
        cause: error,
      });
    }
    throw new StrataError('INVALID_ARGUMENT', `The audit log at ${path} cannot be read (${String(code)}).`, {
      cause: error,
    });
  }
  try {
    const chunk = Buffer.alloc(1 << 16);
    let pending = Buffer.alloc(0);
    let offset = 0;
    let number = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      let data = Buffer.concat([pending, chunk.subarray(0, bytesRead)]);
      for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10)) {
        offset += newline + 1;
        yield { text: data.toString('utf8', 0, newline), number: ++number, end: offset, terminated: true };
        data = data.subarray(newline + 1);
      }
      pending = Buffer.from(data);
    }
    if (pending.length > 0) {
      yield {
        text: pending.toString('utf8'),
        number: number + 1,
        end: offset + pending.length,
        terminated: false,
      };
    }
  } finally {
    await handle.close();
  }
}
