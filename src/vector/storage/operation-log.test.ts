import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { createLogger } from '../../kernel/index.js';
import { operationLogConformance } from './conformance.js';
import { FileLog, type FsyncPolicy } from './file-log.js';
import { MemoryLog } from './memory-log.js';

const root = mkdtempSync(join(tmpdir(), 'strata-oplog-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});
const logger = createLogger('silent');

operationLogConformance('MemoryLog', { create: async () => new MemoryLog() });

for (const fsync of ['always', 'interval', 'never'] as const satisfies readonly FsyncPolicy[]) {
  let n = 0;
  let directory = '';
  // Tiny segments so that truncation and replay cross segment boundaries.
  const open = () => FileLog.open({ directory, logger, fsync, fsyncIntervalMs: 5, segmentBytes: 64 });
  operationLogConformance(`FileLog (fsync ${fsync})`, {
    create: () => {
      directory = join(root, `${fsync}-${n++}`);
      return open();
    },
    reopen: open,
  });
}
