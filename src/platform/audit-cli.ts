import { Command, InvalidArgumentError } from 'commander';
import { verifyAuditFile, type ChainHead } from '../security/index.js';

/**
 * `strata audit verify <file>`: checks an audit log's hash chain offline. Exit 0 with a summary
 * when intact, 1 naming the first bad record, 2 for usage errors (no such file, bad flags).
 */
export function auditCommand(fail: (error: unknown) => never): Command {
  const audit = new Command('audit').description('inspect tamper-evident audit logs');
  audit
    .command('verify <file>')
    .description('verify the hash chain of an audit log file; names the first bad record')
    .option(
      '--anchor <seq:hash>',
      'a head recorded earlier (from a previous verify): also detects records cut from the end',
      parseAnchor,
    )
    .action(async (file: string, flags: { anchor?: ChainHead }) => {
      try {
        const result = await verifyAuditFile(
          file,
          flags.anchor === undefined ? {} : { anchor: flags.anchor },
        );
        if (result.ok) {
          process.stdout.write(
            `${file}: intact, ${String(result.records)} records; last seq ${String(result.lastSeq)} hash ${result.lastHash}\n`,
          );
          return;
        }
        process.stdout.write(
          `${file}: ${result.reason}; intact up to seq ${String(result.lastGood.seq)} hash ${result.lastGood.hash}\n`,
        );
        process.exitCode = 1;
      } catch (error) {
        fail(error);
      }
    });
  return audit;
}

function parseAnchor(value: string): ChainHead {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(value);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new InvalidArgumentError('expected <seq>:<hash>, e.g. 42:<64 hex digits> as printed by verify');
  }
  return { seq: Number(match[1]), hash: match[2] };
}
