import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/kernel/index.js';
import { Platform, loadConfig, type TargetName } from '../../src/platform/index.js';

export function tempDataDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `strata-${name}-`));
}

/**
 * A started in-process platform on free ports, with its HTTP base URL. Authentication is off
 * unless `settings` turn it on (`'security.auth.enabled': 'true'`): the tests that use this are
 * about other things, and test/security.test.ts covers authentication.
 */
export async function startPlatform(
  dataDir: string,
  targets: readonly TargetName[] = ['all'],
  settings: Readonly<Record<string, string>> = {},
  /** The process environment the platform sees (secrets named by `api_key_env`). */
  env: Readonly<Record<string, string>> = {},
): Promise<{ platform: Platform; url: string }> {
  const config = loadConfig({
    flags: {
      target: targets.join(','),
      dataDir,
      'server.httpPort': '0',
      'server.grpcPort': '0',
      'logging.level': 'silent',
      'security.auth.enabled': 'false',
      ...settings,
    },
  });
  const platform = await Platform.create({ config, logger: createLogger('silent'), env });
  await platform.start();
  const url = platform.server.httpUrl;
  if (url === undefined) throw new Error('the platform did not report its HTTP address');
  return { platform, url };
}

/** Creates an API key through `POST /admin/keys` with an admin key; the new key's text. */
export async function createKey(url: string, admin: string, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201)
    throw new Error(`POST /admin/keys: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { key: string }).key;
}
