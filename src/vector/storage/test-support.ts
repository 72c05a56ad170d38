// Helpers shared by this folder's tests: a temporary directory and a logger whose lines are kept.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { createLogger, type Logger } from '../../kernel/index.js';
import type { ByteSource } from './byte-source.js';

export function temporaryDirectory(name: string): () => string {
  const root = mkdtempSync(join(tmpdir(), `strata-${name}-`));
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });
  let n = 0;
  return () => join(root, String(n++));
}

export interface CapturedLogger {
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
}

export function capturingLogger(): CapturedLogger {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', {
    write(line: string) {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { logger, lines };
}

/** A source's bytes, whole. */
export function sourceBytes(source: ByteSource): Buffer {
  return Buffer.from(source.read(0, source.size));
}
