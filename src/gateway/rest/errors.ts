import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { StrataError, isStrataError, type ErrorCode } from '../../kernel/index.js';
import { httpStatusByCode, problemContentType, retryAfterSeconds, toProblem } from '../errors/http.js';

/** Fastify's own errors (body parsing, schema validation) by their stable codes. */
const fastifyCodes: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_REQUEST',
};

/** Any error raised while serving a request, as a StrataError. */
export function fromRequestError(error: unknown): StrataError {
  if (isStrataError(error)) return error;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation !== undefined) {
    return new StrataError('INVALID_ARGUMENT', fastifyError.message ?? 'request failed validation', {
      details: { context: fastifyError.validationContext, errors: fastifyError.validation },
    });
  }
  const mapped = fastifyError.code === undefined ? undefined : fastifyCodes[fastifyError.code];
  if (mapped !== undefined) return new StrataError(mapped, fastifyError.message ?? mapped, { cause: error });
  // Body parser errors (invalid JSON is a SyntaxError) carry a 4xx status and no Fastify code.
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return new StrataError('MALFORMED_REQUEST', fastifyError.message ?? 'malformed request', {
      cause: error,
    });
  }
  return new StrataError('INTERNAL', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}

/** Every error and every unmatched route answers with RFC 9457 problem details carrying a stable code. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const strataError = fromRequestError(error);
    if (strataError.errorClass === 'system') request.log.error({ err: error }, 'request failed');
    const problem = toProblem(strataError, request.url, request.id);
    const retryAfter = retryAfterSeconds(strataError);
    if (retryAfter !== undefined) void reply.header('retry-after', retryAfter);
    return reply.status(problem.status).type(problemContentType).send(problem);
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new StrataError('ROUTE_NOT_FOUND', `no route for ${request.method} ${request.url}`);
    const problem = toProblem(error, request.url, request.id);
    return reply.status(problem.status).type(problemContentType).send(problem);
  });
}

/**
 * The error handler of a compatibility API (Qdrant, Open Inference Protocol, OpenAI): the same
 * mapping, logging, HTTP status and Retry-After as Strata's own routes, with the body in the
 * protocol's shape. `message` is safe to send: an INTERNAL error's text (which may name internal
 * paths or hosts) is replaced by a pointer to the log line of the request.
 */
export function installCompatErrorHandler(
  scope: FastifyInstance,
  body: (error: StrataError, message: string, reply: FastifyReply) => unknown,
): void {
  scope.setErrorHandler((error, request, reply) => {
    const strataError = fromRequestError(error);
    if (strataError.errorClass === 'system') request.log.error({ err: error }, 'request failed');
    const message = clientMessage(strataError, request.id);
    const retryAfter = retryAfterSeconds(strataError);
    if (retryAfter !== undefined) void reply.header('retry-after', retryAfter);
    return reply.status(httpStatusByCode[strataError.code]).send(body(strataError, message, reply));
  });
}

/** An error's message as a client may see it: an INTERNAL error's text stays in the server log. */
export function clientMessage(error: StrataError, requestId: string): string {
  return error.code === 'INTERNAL'
    ? `internal error; see the server log for request ${requestId}`
    : error.message;
}
