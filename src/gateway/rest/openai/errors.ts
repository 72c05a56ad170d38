import type { FastifyInstance } from 'fastify';
import type { StrataError } from '../../../kernel/index.js';
import { installCompatErrorHandler } from '../errors.js';

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

/** `message` is what the client may see (an INTERNAL error's text is not). */
export function toOpenAIError(error: StrataError, message: string): OpenAIErrorBody {
  const param = error.details?.['param'];
  return {
    error: {
      message,
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
    case 'QUOTA_EXCEEDED':
    case 'OVERLOADED':
      return 'rate_limit_error';
    default:
      return error.errorClass === 'user' ? 'invalid_request_error' : 'server_error';
  }
}

export function installOpenAIErrors(scope: FastifyInstance): void {
  installCompatErrorHandler(scope, (error, message) => toOpenAIError(error, message));
}
