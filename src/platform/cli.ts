import { Command, InvalidArgumentError, Option } from 'commander';
import { stringify as toYaml } from 'yaml';
import { causeChain, createLogger, flushLogger, isStrataError } from '../kernel/index.js';
import { loadConfig, redactConfig, type StrataConfig } from './config/index.js';
import { targetNames } from './module-names.js';
import { Platform, strataVersion } from './platform.js';
import { untilSignal } from './signals.js';
import { modelsCommand } from './models-cli.js';
import { auditCommand } from './audit-cli.js';
import { keysCommand } from './keys-cli.js';
import { snapshotsCommand } from './snapshots-cli.js';

/** Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration. */
const exitUsage = 2;
const exitFailure = 1;

interface ConfigFlags {
  readonly config?: string;
  readonly target?: string[];
  readonly dataDir?: string;
  readonly set?: Record<string, string>;
}

const collectTargets = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value.split(',').map((part) => part.trim()),
];

const collectSettings = (value: string, previous: Record<string, string> = {}): Record<string, string> => {
  const separator = value.indexOf('=');
  if (separator <= 0)
    throw new InvalidArgumentError(
      `--set expects key=value (for example server.httpPort=9000), got "${value}"`,
    );
  return { ...previous, [value.slice(0, separator).trim()]: value.slice(separator + 1) };
};

/** The flags every command that reads configuration accepts. */
function withConfigFlags(command: Command): Command {
  return command
    .option('-c, --config <file>', 'YAML or JSON configuration file')
    .addOption(
      new Option(
        '-t, --target <targets>',
        `modules to run, comma-separated or repeated: ${targetNames.join(', ')}`,
      ).argParser(collectTargets),
    )
    .option('-d, --data-dir <dir>', 'directory for all local state')
    .addOption(
      new Option(
        '-s, --set <key=value>',
        'set any configuration key, e.g. server.httpPort=9000 (repeatable)',
      ).argParser(collectSettings),
    );
}

function configFrom(flags: ConfigFlags, env: NodeJS.ProcessEnv): StrataConfig {
  const settings: Record<string, string> = { ...flags.set };
  if (flags.target !== undefined) settings['target'] = flags.target.join(',');
  if (flags.dataDir !== undefined) settings['dataDir'] = flags.dataDir;
  return loadConfig({ ...(flags.config === undefined ? {} : { file: flags.config }), env, flags: settings });
}

/** Prints an error for a person: the message and its causes, and exits with the matching code. */
function fail(error: unknown): never {
  const message = isStrataError(error) ? error.message : causeChain(error).join(': ');
  process.stderr.write(`strata: ${message}\n`);
  const usage = isStrataError(error) && error.errorClass === 'user';
  process.exit(usage ? exitUsage : exitFailure);
}

/**
 * A command built in another file takes the program's exit and output settings, as `.command()`
 * children do; otherwise commander exits 1 on its usage errors instead of 2.
 */
function inheriting(parent: Command, command: Command): Command {
  command.copyInheritedSettings(parent);
  for (const child of command.commands) inheriting(command, child);
  return command;
}

export function buildCli(env: NodeJS.ProcessEnv): Command {
  const program = new Command('strata')
    .description('Strata: model serving, vector search, features and pipelines in one platform.')
    .version(strataVersion(), '-V, --version')
    .showHelpAfterError()
    .configureOutput({
      outputError: (text, write) => {
        write(text);
      },
    })
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : exitUsage));

  program
    .command('version')
    .description('print the Strata version')
    .action(() => {
      process.stdout.write(`${strataVersion()}\n`);
    });

  withConfigFlags(
    program.command('start').description('start Strata: every module (target all) or the given targets'),
  ).action(async (flags: ConfigFlags) => {
    let config: StrataConfig;
    try {
      config = configFrom(flags, env);
    } catch (error) {
      fail(error);
    }
    const logger = createLogger(config.logging.level);
    try {
      const platform = await Platform.create({ config, logger, env });
      await platform.start();
      const code = await untilSignal(platform, logger);
      // Exit explicitly: work abandoned when the grace period expired may still hold timers.
      await flushLogger(logger);
      process.exit(code);
    } catch (error) {
      logger.fatal({ err: error }, 'Strata failed to start');
      fail(error);
    }
  });

  const configCommand = program.command('config').description('inspect the configuration');
  withConfigFlags(
    configCommand.command('print').description('print the effective configuration, secrets redacted'),
  )
    .addOption(new Option('-f, --format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action((flags: ConfigFlags & { format: 'yaml' | 'json' }) => {
      try {
        const redacted = redactConfig(configFrom(flags, env));
        process.stdout.write(
          flags.format === 'json' ? `${JSON.stringify(redacted, null, 2)}\n` : toYaml(redacted),
        );
      } catch (error) {
        fail(error);
      }
    });

  program.addCommand(modelsCommand(fail, 'http://127.0.0.1:8080', env));
  program.addCommand(keysCommand(fail, 'http://127.0.0.1:8080', env));
  program.addCommand(inheriting(program, snapshotsCommand(fail, 'http://127.0.0.1:8080', env)));
  program.addCommand(inheriting(program, auditCommand(fail)));

  return program;
}
