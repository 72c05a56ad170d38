import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StrataError } from '../../../kernel/index.js';
import { httpStatusByCode } from '../../errors/http.js';
import { installCompatErrorHandler } from '../errors.js';
import { headerLengthField, parseRequestJson, splitBinaryBody } from '../../../serving/index.js';

/**
 * The Open Inference Protocol's wire conventions for one Fastify scope: errors as
 * `{"error": message}` (every "JSON Error Object" in the spec), with Strata's stable `code` beside
 * it; unknown /v2 paths answered the same way; request bodies read as JSON whatever their
 * Content-Type, as Triton does, because Triton's own clients send none.
 */
export function installInferenceConventions(scope: FastifyInstance): void {
  installCompatErrorHandler(scope, (error, message) => ({ error: message, code: error.code }));
  scope.setNotFoundHandler((request, reply) =>
    reply.status(httpStatusByCode.ROUTE_NOT_FOUND).send({
      error: `no route for ${request.method} ${request.url}; see /openapi.json for the /v2 routes`,
      code: 'ROUTE_NOT_FOUND',
    }),
  );
  // Before the body is read, and after authentication (a route hook that onRequest hooks precede).
  scope.addHook('preParsing', async (request) => {
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      throw new StrataError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding '${encoding}' is not supported on /v2; send the JSON body uncompressed`,
      );
    }
  });
  // The body limit is the server's (server.bodyLimitBytes): parseAs enforces it, and an
  // oversized body becomes PAYLOAD_TOO_LARGE through the error handler above. A body with an
  // Inference-Header-Content-Length is a JSON header followed by binary tensors (src/serving/v2/binary.ts).
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(
    '*',
    { parseAs: 'buffer' },
    async (request: FastifyRequest, body: string | Buffer) => {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      const headerLength = request.headers[headerLengthField];
      if (typeof headerLength === 'string') return splitBinaryBody(bytes, headerLength, parseRequestJson);
      const text = bytes.toString('utf8');
      // Load, unload and index requests may have an empty body (Triton's model repository extension).
      return /\S/.test(text) ? parseRequestJson(text) : undefined;
    },
  );
}
