import { Command } from 'commander';
import { StrataError, errorCatalog, type ErrorCode } from '../kernel/index.js';

/**
 * `strata models list|load|unload`: a client of a running Strata's model repository API
 * (the Open Inference Protocol's repository extension, as Triton's), so that it works the same
 * against a local process and a remote deployment.
 */
export function modelsCommand(fail: (error: unknown) => never, defaultUrl: string): Command {
  const models = new Command('models').description("manage a running Strata's loaded models");
  const withUrl = (command: Command): Command =>
    command.option('--url <url>', 'base URL of the running Strata', defaultUrl);

  withUrl(models.command('list').description('list the models in the repository and their state'))
    .option('--ready', 'only ready versions')
    .action(async (flags: { url: string; ready?: boolean }) => {
      try {
        const entries = (await call(flags.url, '/v2/repository/index', { ready: flags.ready === true })) as {
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
    ).action(async (model: string, flags: { url: string }) => {
      try {
        await call(flags.url, `/v2/repository/models/${encodeURIComponent(model)}/${action}`, {});
        process.stdout.write(`${action}ed ${model}\n`);
      } catch (error) {
        fail(error);
      }
    });
  }
  return models;
}

async function call(base: string, path: string, body: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(new URL(path, base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new StrataError('UNAVAILABLE', `cannot reach Strata at ${base}; start it or pass --url`, {
      cause: error,
    });
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    // The /v2 routes answer {"error", "code"} with Strata's stable code; keep it.
    const body = parsed as { error?: unknown; code?: unknown } | undefined;
    const code =
      typeof body?.code === 'string' && body.code in errorCatalog ? (body.code as ErrorCode) : undefined;
    throw new StrataError(
      code ??
        (response.status === 404 ? 'NOT_FOUND' : response.status < 500 ? 'INVALID_ARGUMENT' : 'UNAVAILABLE'),
      typeof body?.error === 'string' ? body.error : `${base}${path} answered ${String(response.status)}`,
    );
  }
  if (text !== '' && parsed === undefined) {
    throw new StrataError('UNAVAILABLE', `${base}${path} did not answer JSON; is --url a Strata server?`);
  }
  return parsed;
}
