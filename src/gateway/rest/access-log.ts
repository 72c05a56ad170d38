import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Exactly one access-log line per request, written when the response is done: Fastify's default
 * writes two (incoming, completed). Error causes are logged by the error handler, not here.
 */
export class AccessLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {
    // Deliberately silent: the single line is written in requestCompleted.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = {
      method: request.method,
      url: request.url,
      route: request.routeOptions.url ?? 'unmatched',
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 1000) / 1000,
      remoteAddress: request.ip,
      ...(error ? { aborted: error.message } : {}),
    };
    request.log.info(line, 'request completed');
  }
}
