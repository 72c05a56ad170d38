import type { FastifyInstance } from 'fastify';
import type { StrataError } from '../../../kernel/index.js';
import { httpStatusByCode, retryAfterSeconds } from '../../errors/http.js';
import { fromRequestError } from '../errors.js';

/**
 * OpenAI's error body, `{"error": {"message", "type", "param", "code"}}`, which its SDKs turn into
 * typed exceptions by HTTP status. `code` carries Strata's stable code (OpenAI's own codes are
 * free-form strings too); `type` follows OpenAI's few categories.
 */
export interface OpenAIErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string;
  };
}

export function toOpenAIError(error: StrataError, requestId: string): OpenAIErrorBody {
  const param = error.details?.['param'];
  return {
    error: {
      message:
        error.code === 'INTERNAL'
          ? `internal error; see the server log for request ${requestId}`
          : error.message,
      type: errorType(error),
      param: typeof param === 'string' ? param : null,
      code: error.code,
    },
  };
}

function errorType(error: StrataError): string {
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return 'authentication_error';
    case 'PERMISSION_DENIED':
      return 'permission_error';
    case 'RATE_LIMITED':
    case 'OVERLOADED':
      return 'rate_limit_error';
    default:
      return error.errorClass === 'user' ? 'invalid_request_error' : 'server_error';
  }
}

export function installOpenAIErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((error, request, reply) => {
    const strataError = fromRequestError(error);
    if (strataError.errorClass === 'system') request.log.error({ err: error }, 'request failed');
    const retryAfter = retryAfterSeconds(strataError);
    if (retryAfter !== undefined) void reply.header('retry-after', retryAfter);
    return reply.status(httpStatusByCode[strataError.code]).send(toOpenAIError(strataError, request.id));
  });
}
