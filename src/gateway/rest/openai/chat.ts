import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StrataError, isStrataError } from '../../../kernel/index.js';
import {
  fetchRemote,
  remoteFetchError,
  remoteStatusError,
  type ChatTarget,
  type ServingProcedures,
} from '../../../serving/index.js';
import { toOpenAIError } from './errors.js';
import { clientMessage } from '../errors.js';

/**
 * `POST /v1/chat/completions`, forwarded to the model's OpenAI-compatible server: the body goes
 * on unchanged except `model` (the remote's name), the answer comes back with the remote's
 * status. Strata does not interpret chat; it routes, authenticates upstream and streams.
 */
export async function forwardChat(
  serving: ServingProcedures,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new StrataError('INVALID_ARGUMENT', 'the body must be a JSON object {"model", "messages"}', {
      details: { param: 'body' },
    });
  }
  const { model, stream } = body as Record<string, unknown>;
  if (typeof model !== 'string' || model === '') {
    throw new StrataError(
      'INVALID_ARGUMENT',
      "'model' must be the name of a chat model; GET /v1/models lists them",
      {
        details: { param: 'model' },
      },
    );
  }
  const target = serving.chatTarget(model);
  const upstream = new Deadline(target);
  // A client that goes away cancels the upstream call: nobody would read the tokens it pays for.
  reply.raw.on('close', () => {
    upstream.cancel(!reply.raw.writableFinished);
  });

  let response: Response;
  try {
    response = await fetchRemote({
      server: target.url,
      path: '/v1/chat/completions',
      method: 'POST',
      body: JSON.stringify({ ...body, model: target.model }),
      apiKey: target.apiKey,
      signal: upstream.signal,
      timeoutMs: target.timeoutMs,
    });
  } catch (error) {
    // The client left before the upstream answered: there is nobody to send an error to.
    if (upstream.signal.aborted && !upstream.timedOut) return reply.hijack();
    upstream.cancel(false);
    throw error;
  }
  const contentType = response.headers.get('content-type') ?? 'application/json';
  if (
    stream !== true ||
    !response.ok ||
    response.body === null ||
    !contentType.startsWith('text/event-stream')
  ) {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw remoteFetchError(error, target.url, target.timeoutMs, 'read');
    } finally {
      upstream.cancel(false);
    }
    // The upstream refusing Strata's own key is Strata's configuration problem, not the client's
    // credentials: passed through, the SDK would raise an AuthenticationError at the client.
    if (response.status === 401 || response.status === 403)
      throw remoteStatusError(response, text, target.url);
    return reply.status(response.status).type(contentType).send(text);
  }
  return reply
    .status(response.status)
    .type(contentType)
    .header('cache-control', 'no-cache')
    .send(Readable.from(relay(response.body, upstream, target, request.id), { objectMode: false }));
}

/**
 * The upstream's server-sent events, chunk by chunk as they arrive (Node writes each one to the
 * socket at once). A failure after the headers went out cannot change the status any more, so
 * it ends the stream with an event in OpenAI's error shape, which the SDKs raise as an APIError.
 */
async function* relay(
  body: ReadableStream<Uint8Array>,
  upstream: Deadline,
  target: ChatTarget,
  requestId: string,
): AsyncGenerator<Uint8Array | string> {
  try {
    for await (const chunk of body) {
      upstream.restart();
      yield chunk;
    }
  } catch (error) {
    if (upstream.signal.aborted && !upstream.timedOut) return; // the client left
    const failure = isStrataError(error)
      ? error
      : remoteFetchError(error, target.url, target.timeoutMs, 'read');
    yield `data: ${JSON.stringify(toOpenAIError(failure, clientMessage(failure, requestId)))}\n\n`;
  } finally {
    upstream.cancel(false);
  }
}

/**
 * Cancels the upstream call when `timeout_ms` passes without progress: until the response
 * headers, then between two chunks of a stream (a long answer may stream for minutes, but an
 * upstream that stops sending is dead).
 */
class Deadline {
  readonly #controller = new AbortController();
  readonly #timeoutMs: number;
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;

  constructor(target: ChatTarget) {
    this.#timeoutMs = target.timeoutMs;
    this.restart();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get timedOut(): boolean {
    return this.#timedOut;
  }

  restart(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort(new DOMException('upstream timed out', 'TimeoutError'));
    }, this.#timeoutMs);
  }

  /** Stops the timer; `abort` also cancels the call (it is done otherwise). */
  cancel(abort: boolean): void {
    clearTimeout(this.#timer);
    if (abort) this.#controller.abort();
  }
}
