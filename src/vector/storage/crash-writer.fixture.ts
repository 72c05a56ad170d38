// A child process for crash-recovery.test.ts: appends from several concurrent writers to a FileLog
// with fsync `always` and prints `<sequence> <payload hex>` for each append as soon as it resolves,
// until the parent kills it. Not a test itself; it runs only as that test's child.
import { createLogger } from '../../kernel/index.js';
import { FileLog } from './file-log.js';

const [directory = '', writersArgument = '8'] = process.argv.slice(2);
const log = await FileLog.open({ directory, logger: createLogger('warn', process.stderr), fsync: 'always' });

/** Payload sizes vary (up to ~6 KiB) so that the kill lands inside records as often as between them. */
function payload(writer: number, i: number): Uint8Array {
  const head = `w${writer}-${i}:`;
  return new TextEncoder().encode(head + 'x'.repeat(((writer * 7919 + i * 104729) % 6000) + 1));
}

async function writer(id: number): Promise<void> {
  for (let i = 0; ; i++) {
    const bytes = payload(id, i);
    const sequence = await log.append(bytes);
    // Written synchronously to a pipe on Linux: once this returns, the parent can see the line.
    process.stdout.write(`${sequence} ${Buffer.from(bytes).toString('hex')}\n`);
  }
}

await Promise.all(Array.from({ length: Number(writersArgument) }, (_, id) => writer(id)));
