import type { FastifyInstance } from 'fastify';
import { StrataError } from '../../../kernel/index.js';
import { httpStatusByCode } from '../../errors/http.js';
import { installCompatErrorHandler } from '../errors.js';
import { parseRequestJson } from './json.js';

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
  scope.addHook('onRequest', async (request) => {
    // The binary tensor extension puts raw bytes after the JSON header; without this check its
    // bodies would fail as malformed JSON, which does not tell the client what to change.
    if (request.headers['inference-header-content-length'] !== undefined) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        'the binary tensor data extension (Inference-Header-Content-Length) is not supported; send tensor elements as JSON "data" arrays (tritonclient: binary_data=False)',
      );
    }
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      throw new StrataError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding '${encoding}' is not supported on /v2; send the JSON body uncompressed`,
      );
    }
  });
  // The body limit is the server's (server.bodyLimitBytes): parseAs 'string' enforces it, and an
  // oversized body becomes PAYLOAD_TOO_LARGE through the error handler above.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'string' }, async (_request: unknown, body: string | Buffer) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    // Load, unload and index requests may have an empty body (Triton's model repository extension).
    return /\S/.test(text) ? parseRequestJson(text) : undefined;
  });
}
