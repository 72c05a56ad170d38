import type { FastifyInstance, FastifyReply } from 'fastify';
import { installCompatErrorHandler } from '../errors.js';

/**
 * Qdrant's response envelope: `{"result", "status": "ok", "time"}` on success and
 * `{"status": {"error"}, "time"}` on failure, with `time` in seconds. Qdrant clients read exactly
 * these fields; Strata adds the stable error `code` beside `error`.
 */
export function ok(reply: FastifyReply, result: unknown): FastifyReply {
  return reply.send({ result, status: 'ok', time: reply.elapsedTime / 1000 });
}

/** ok() for a procedure that answers `{result, ...}`: Strata's own fields (`explain`) go beside `result`. */
export function okBeside(reply: FastifyReply, response: { readonly result: unknown }): FastifyReply {
  return reply.send({ ...response, status: 'ok', time: reply.elapsedTime / 1000 });
}

export function installQdrantErrors(scope: FastifyInstance): void {
  installCompatErrorHandler(scope, (error, message, reply) => ({
    status: { error: message, code: error.code },
    time: reply.elapsedTime / 1000,
  }));
}
