import { Command, InvalidArgumentError } from 'commander';
import { apiTarget, callApi, withApiFlags, type ApiFlags } from './api-client.js';

interface KeyRecord {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
  readonly key?: string;
}

const list = (value: string): string[] => {
  const items = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list');
  return items;
};

/**
 * `strata keys create|list|revoke|rotate`: a client of a running Strata's `/admin/keys` API, with
 * an admin key (`--key`, `STRATA_API_KEY`, or the first start's `<data-dir>/admin.key`). A new or
 * rotated key is printed once, on stdout alone, so that it can be captured
 * (`KEY=$(strata keys create ci --roles editor)`); it is not stored anywhere in plain text.
 */
export function keysCommand(
  fail: (error: unknown) => never,
  defaultUrl: string,
  env: Readonly<Record<string, string | undefined>>,
): Command {
  const keys = new Command('keys').description("manage a running Strata's API keys");
  const target = (flags: ApiFlags) => apiTarget(flags, env);
  const run = (work: () => Promise<void>): Promise<void> => work().catch(fail);

  withApiFlags(keys.command('create <name>').description('create a key and print it once'), defaultUrl)
    .requiredOption('--roles <roles>', 'comma-separated roles (admin, editor, viewer, or configured)', list)
    .option('--scopes <scopes>', 'comma-separated scopes narrowing the roles (<action>:<resource>)', list)
    .option('--expires <date>', 'ISO 8601 expiry')
    .option(
      '--tenant <tenant>',
      "another tenant's key (admins of the default tenant only); default: your own",
    )
    .action(
      (
        name: string,
        flags: ApiFlags & { roles: string[]; scopes?: string[]; expires?: string; tenant?: string },
      ) =>
        run(async () => {
          const created = (await callApi(target(flags), 'POST', '/admin/keys', {
            ...(flags.tenant === undefined ? {} : { tenant: flags.tenant }),
            name,
            roles: flags.roles,
            ...(flags.scopes === undefined ? {} : { scopes: flags.scopes }),
            ...(flags.expires === undefined ? {} : { expiresAt: flags.expires }),
          })) as KeyRecord;
          process.stderr.write(
            `created key ${created.id} (${created.roles.join(', ')}); it is shown only now:\n`,
          );
          process.stdout.write(`${created.key ?? ''}\n`);
        }),
    );

  withApiFlags(keys.command('list').description("list the tenant's keys (never their secrets)"), defaultUrl)
    .option('--tenant <tenant>', "another tenant's keys (admins of the default tenant only)")
    .action((flags: ApiFlags & { tenant?: string }) =>
      run(async () => {
        const query = flags.tenant === undefined ? '' : `?tenant=${encodeURIComponent(flags.tenant)}`;
        const { keys: records } = (await callApi(target(flags), 'GET', `/admin/keys${query}`)) as {
          keys: KeyRecord[];
        };
        for (const k of records) {
          const state =
            k.revokedAt !== undefined
              ? 'revoked'
              : k.expiresAt !== undefined
                ? `expires ${k.expiresAt}`
                : 'active';
          process.stdout.write(`${k.id}\t${k.name}\t${k.roles.join(',')}\t${state}\n`);
        }
      }),
    );

  withApiFlags(keys.command('revoke <id>').description('revoke a key at once'), defaultUrl).action(
    (id: string, flags: ApiFlags) =>
      run(async () => {
        await callApi(target(flags), 'DELETE', `/admin/keys/${encodeURIComponent(id)}`);
        process.stdout.write(`revoked ${id}\n`);
      }),
  );

  withApiFlags(
    keys
      .command('rotate <id>')
      .description('give a key a new secret (the old one stops working) and print it once'),
    defaultUrl,
  ).action((id: string, flags: ApiFlags) =>
    run(async () => {
      const rotated = (await callApi(
        target(flags),
        'POST',
        `/admin/keys/${encodeURIComponent(id)}/rotate`,
      )) as KeyRecord;
      process.stderr.write(`rotated ${rotated.id}; the new key is shown only now:\n`);
      process.stdout.write(`${rotated.key ?? ''}\n`);
    }),
  );
  return keys;
}
