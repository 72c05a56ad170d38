import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../kernel/index.js';
import type { AuditEntry } from './record.js';

/** An entry whose action names it, so a test can see the order records were stored in. */
export function entry(n: number, details?: Record<string, unknown>): AuditEntry {
  return {
    actor: `key:${String(n % 3)}`,
    tenant: 'acme',
    action: `collection.upsert.${String(n)}`,
    resource: 'collections/docs',
    outcome: n % 5 === 0 ? 'denied' : 'success',
    requestId: `req-${String(n)}`,
    ...(details === undefined ? {} : { details }),
  };
}

/** A real pino logger whose lines the test can read. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    logger: createLogger('info', sink),
    lines: () =>
      text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
