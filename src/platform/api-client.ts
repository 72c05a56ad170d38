import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { StrataError, errorCatalog, type ErrorCode } from '../kernel/index.js';

/** Where a CLI command finds a running Strata and the key it calls with. */
export interface ApiTarget {
  readonly url: string;
  readonly key: string | undefined;
}

/** The flags of every command that calls a running Strata. */
export interface ApiFlags {
  readonly url: string;
  readonly key?: string;
  readonly dataDir?: string;
}

export function withApiFlags(command: Command, defaultUrl: string): Command {
  return command
    .option('--url <url>', 'base URL of the running Strata', defaultUrl)
    .option('--key <key>', 'API key (default: $STRATA_API_KEY, else <data-dir>/admin.key)')
    .option('-d, --data-dir <dir>', 'where to look for admin.key when no key is given', './data');
}

/** The server and key of a command's flags (see apiKeyFor). */
export function apiTarget(flags: ApiFlags, env: Readonly<Record<string, string | undefined>>): ApiTarget {
  return { url: flags.url, key: apiKeyFor(flags, env) };
}

/**
 * The API key a CLI command sends: `--key`, else `STRATA_API_KEY`, else the admin key a first
 * start wrote to `<data-dir>/admin.key` on this machine (the default data directory unless
 * `--data-dir` names another), else none.
 */
export function apiKeyFor(
  flags: { readonly key?: string; readonly dataDir?: string },
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (flags.key !== undefined) return flags.key;
  const fromEnv = env['STRATA_API_KEY'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const file = join(flags.dataDir ?? './data', 'admin.key');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/**
 * One JSON call to a running Strata; an error answer (Strata's problem details, the `{error,
 * code}` of the Open Inference Protocol routes, or Qdrant's `{status: {error, code}}`) becomes a
 * StrataError with the server's code.
 */
export async function callApi(
  target: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await requestApi(target, method, path, {
    ...(body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' }),
  });
  const text = await response.text();
  const parsed = parseJson(text);
  if (text !== '' && parsed === undefined) {
    throw new StrataError(
      'UNAVAILABLE',
      `${target.url}${path} did not answer JSON; is --url a Strata server?`,
    );
  }
  return parsed;
}

/**
 * One call with any body (a stream for uploads) whose answer is returned unread when it succeeds
 * (a download streams it); an error answer is thrown as callApi throws it.
 */
export async function requestApi(
  target: ApiTarget,
  method: string,
  path: string,
  request: { readonly body?: NonNullable<RequestInit['body']>; readonly contentType?: string } = {},
): Promise<Response> {
  const { url: base, key } = target;
  let response: Response;
  try {
    response = await fetch(new URL(path, base), {
      method,
      headers: {
        ...(request.contentType === undefined ? {} : { 'content-type': request.contentType }),
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      },
      ...(request.body === undefined ? {} : { body: request.body }),
      // A streamed request body (an upload) needs it; a buffered one ignores it.
      ...(request.body instanceof ReadableStream ? { duplex: 'half' } : {}),
    });
  } catch (error) {
    throw new StrataError('UNAVAILABLE', `cannot reach Strata at ${base}; start it or pass --url`, {
      cause: error,
    });
  }
  if (response.ok) return response;
  const answer = parseJson(await response.text()) as
    | { error?: unknown; detail?: unknown; code?: unknown; status?: { error?: unknown; code?: unknown } }
    | undefined;
  const qdrant = typeof answer?.status === 'object' ? answer.status : undefined;
  const reported = answer?.code ?? qdrant?.code;
  const code = typeof reported === 'string' && reported in errorCatalog ? (reported as ErrorCode) : undefined;
  const message =
    typeof answer?.error === 'string'
      ? answer.error
      : typeof answer?.detail === 'string'
        ? answer.detail
        : typeof qdrant?.error === 'string'
          ? qdrant.error
          : `${base}${path} answered ${String(response.status)}`;
  const hint =
    code === 'UNAUTHENTICATED'
      ? '; pass --key, set STRATA_API_KEY, or run where <data-dir>/admin.key is readable'
      : '';
  throw new StrataError(
    code ??
      (response.status === 404 ? 'NOT_FOUND' : response.status < 500 ? 'INVALID_ARGUMENT' : 'UNAVAILABLE'),
    message + hint,
  );
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
