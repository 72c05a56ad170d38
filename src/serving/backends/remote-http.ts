import { StrataError } from '../../kernel/index.js';
import type { LoadRequest } from '../backend.js';

/**
 * HTTP to remote model servers (Open Inference Protocol, OpenAI-compatible), with every failure
 * as a StrataError that names the server and what to change. Global fetch (undici) keeps
 * connections alive per origin, so instances need no client of their own.
 */
export interface RemoteRequest {
  /** The server's base URL as configured (`remote.url`), for messages. */
  readonly server: string;
  /** Path below the base URL, starting with '/'. */
  readonly path: string;
  readonly method: 'GET' | 'POST';
  /** JSON text. */
  readonly body?: string;
  readonly apiKey?: string | undefined;
  /** Cancels the call; a TimeoutError reason (AbortSignal.timeout) becomes DEADLINE_EXCEEDED. */
  readonly signal: AbortSignal;
  /** The configured timeout, for the message. */
  readonly timeoutMs: number;
}

/** `url` without trailing slashes, so that paths join with exactly one. */
export function baseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The response whatever its status; only failures to get one (refused, timed out, reset) throw. */
export async function fetchRemote(request: RemoteRequest): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.apiKey !== undefined) headers['authorization'] = `Bearer ${request.apiKey}`;
  try {
    return await fetch(`${baseUrl(request.server)}${request.path}`, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: request.signal,
    });
  } catch (error) {
    throw remoteFetchError(error, request.server, request.timeoutMs);
  }
}

/**
 * A failure to get a response (`connect`) or to read all of it (`read`), as UNAVAILABLE or
 * DEADLINE_EXCEEDED.
 */
export function remoteFetchError(
  error: unknown,
  server: string,
  timeoutMs: number,
  phase: 'connect' | 'read' = 'connect',
): StrataError {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new StrataError(
      'DEADLINE_EXCEEDED',
      `the remote model server ${server} did not answer within ${String(timeoutMs)} ms; retry, or raise the model's remote.timeout_ms`,
      { cause: error, details: { server, timeoutMs } },
    );
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const reason = code ?? (error instanceof Error ? error.message : String(error));
  return new StrataError(
    'UNAVAILABLE',
    phase === 'connect'
      ? `cannot reach the remote model server ${server} (${reason}); check the model's remote.url and that the server is running`
      : `the remote model server ${server} broke off its answer (${reason}); retry`,
    { cause: error, details: { server, ...(code === undefined ? {} : { reason: code }) } },
  );
}

/** Throws the mapped error for a non-2xx response; returns the parsed JSON body of a 2xx one. */
export async function remoteJson(
  response: Response,
  request: RemoteRequest,
  parse: (text: string) => unknown = JSON.parse,
): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw remoteFetchError(error, request.server, request.timeoutMs, 'read');
  }
  if (!response.ok) throw remoteStatusError(response, text, request.server);
  try {
    return parse(text);
  } catch (error) {
    throw new StrataError(
      'MODEL_EXECUTION_FAILED',
      `the remote model server ${request.server} answered ${request.method} ${request.path} with invalid JSON`,
      { cause: error },
    );
  }
}

/**
 * A remote error status as a Strata code: the remote's 4xx are the request's fault (its message
 * is passed on), except credentials (our configuration), 404 (the model went away), 408 and 429
 * (retryable); 502-504 mean
 * the server is unreachable behind a proxy; any other 5xx is a failed execution.
 */
export function remoteStatusError(response: Response, body: string, server: string): StrataError {
  const status = response.status;
  const message = `the remote model server ${server} answered HTTP ${String(status)}: ${remoteMessage(body)}`;
  const details = { server, status };
  if (status === 401 || status === 403)
    return new StrataError(
      'MODEL_EXECUTION_FAILED',
      `${message}; check the API key in the variable named by the model's remote.api_key_env`,
      { details },
    );
  if (status === 408) return new StrataError('DEADLINE_EXCEEDED', message, { details });
  if (status === 429) {
    const retryAfter = Number(response.headers.get('retry-after') ?? '1');
    return new StrataError('OVERLOADED', message, {
      details: { ...details, retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : 1 },
    });
  }
  // A model that was there at load time and is gone now is the remote's state, not the client's
  // request: retryable, and counted against a canary like any server-side failure.
  if (status === 404)
    return new StrataError(
      'UNAVAILABLE',
      `${message}; the remote server no longer serves this model — load it there, or reload this model`,
      { details },
    );
  if (status >= 400 && status < 500) return new StrataError('INVALID_ARGUMENT', message, { details });
  if (status >= 502 && status <= 504) return new StrataError('UNAVAILABLE', message, { details });
  return new StrataError('MODEL_EXECUTION_FAILED', message, { details });
}

/** The error message in a body: `{"error": "..."}` (V2), `{"error": {"message"}}` (OpenAI), or the text. */
function remoteMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown> | null;
    const error = parsed?.['error'] ?? parsed?.['detail'] ?? parsed?.['message'];
    if (typeof error === 'string') return error;
    const nested = (error as Record<string, unknown> | null | undefined)?.['message'];
    if (typeof nested === 'string') return nested;
  } catch {
    // Not JSON: the text itself is the best message there is.
  }
  const text = body.trim();
  return text === '' ? '(no message)' : text.slice(0, 500);
}

/** A remote model's connection settings, resolved once at load. */
export interface RemoteSettings {
  readonly server: string;
  /** The model's name on the remote server. */
  readonly model: string;
  readonly apiKey: string | undefined;
  readonly timeoutMs: number;
}

export function remoteSettings(request: LoadRequest): RemoteSettings {
  const remote = request.config.remote;
  if (remote === undefined) {
    throw new StrataError(
      'CONFIG_INVALID',
      `model '${request.model}': backend ${request.config.backend} needs a 'remote' section with the server's url`,
    );
  }
  let apiKey: string | undefined;
  if (remote.api_key_env !== undefined) {
    apiKey = request.secrets(remote.api_key_env);
    if (apiKey === undefined || apiKey === '') {
      throw new StrataError(
        'CONFIG_INVALID',
        `model '${request.model}': the environment variable ${remote.api_key_env} named by remote.api_key_env is not set; set it, or remove api_key_env if the server needs no key`,
        { details: { model: request.model, variable: remote.api_key_env } },
      );
    }
  }
  return {
    server: baseUrl(remote.url),
    model: remote.model ?? request.model,
    apiKey,
    timeoutMs: remote.timeout_ms,
  };
}
