import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fromRequestError } from '../errors.js';
import { httpStatusByCode } from '../../errors/http.js';

/**
 * Qdrant's response envelope: `{"result", "status": "ok", "time"}` on success and
 * `{"status": {"error"}, "time"}` on failure, with `time` in seconds. Qdrant clients read exactly
 * these fields; Strata adds the stable error `code` beside `error`.
 */
export function ok(reply: FastifyReply, result: unknown): FastifyReply {
  return reply.send({ result, status: 'ok', time: reply.elapsedTime / 1000 });
}

export function installQdrantErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((error, request: FastifyRequest, reply) => {
    const strataError = fromRequestError(error);
    if (strataError.errorClass === 'system') request.log.error({ err: error }, 'request failed');
    const message =
      strataError.code === 'INTERNAL'
        ? `internal error; see the server log for request ${request.id}`
        : strataError.message;
    return reply
      .status(httpStatusByCode[strataError.code])
      .send({ status: { error: message, code: strataError.code }, time: reply.elapsedTime / 1000 });
  });
}
