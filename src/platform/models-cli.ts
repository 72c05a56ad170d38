import { Command } from 'commander';
import { apiTarget, callApi, withApiFlags, type ApiFlags } from './api-client.js';

/**
 * `strata models list|load|unload`: a client of a running Strata's model repository API
 * (the Open Inference Protocol's repository extension, as Triton's), so that it works the same
 * against a local process and a remote deployment.
 */
export function modelsCommand(
  fail: (error: unknown) => never,
  defaultUrl: string,
  env: Readonly<Record<string, string | undefined>>,
): Command {
  const models = new Command('models').description("manage a running Strata's loaded models");
  const withUrl = (command: Command): Command => withApiFlags(command, defaultUrl);
  const target = (flags: ApiFlags) => apiTarget(flags, env);

  withUrl(models.command('list').description('list the models in the repository and their state'))
    .option('--ready', 'only ready versions')
    .action(async (flags: ApiFlags & { ready?: boolean }) => {
      try {
        const entries = (await callApi(target(flags), 'POST', '/v2/repository/index', {
          ready: flags.ready === true,
        })) as {
          name: string;
          version?: string;
          state: string;
          reason?: string;
        }[];
        for (const e of entries) {
          const reason = e.reason === undefined || e.reason === '' ? '' : `\t${e.reason}`;
          process.stdout.write(`${e.name}\t${e.version ?? '-'}\t${e.state}${reason}\n`);
        }
      } catch (error) {
        fail(error);
      }
    });
  for (const action of ['load', 'unload'] as const) {
    withUrl(
      models.command(`${action} <model>`).description(`${action} a model (all versions its policy selects)`),
    ).action(async (model: string, flags: ApiFlags) => {
      try {
        await callApi(
          target(flags),
          'POST',
          `/v2/repository/models/${encodeURIComponent(model)}/${action}`,
          {},
        );
        process.stdout.write(`${action}ed ${model}\n`);
      } catch (error) {
        fail(error);
      }
    });
  }
  return models;
}
