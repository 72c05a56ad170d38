import { errorCatalog, type ErrorCode, type StrataError } from '../../kernel/index.js';

/** Every code's HTTP status. `satisfies Record<ErrorCode, …>`: a new code fails to compile until mapped. */
export const httpStatusByCode = {
  INVALID_ARGUMENT: 400,
  MALFORMED_REQUEST: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  ROUTE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  OVERLOADED: 429,
  QUEUE_TIMEOUT: 503,
  MODEL_EXECUTION_FAILED: 500,
  CONFIG_INVALID: 400,
  UNKNOWN_TARGET: 400,
  NOT_READY: 503,
  SHUTTING_DOWN: 503,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  MODULE_START_FAILED: 500,
  MODULE_DEPENDENCY_CYCLE: 500,
  INTERNAL: 500,
} as const satisfies Record<ErrorCode, number>;

/** RFC 9457 problem details, extended with Strata's stable code and retry hint. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly requestId: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export const problemContentType = 'application/problem+json; charset=utf-8';

/**
 * The problem document for an error. An INTERNAL error keeps its message out of the response (an
 * unexpected failure may name internal paths or hosts): the log holds it under the same request
 * id. Every other code's message is written for the client and must not carry such details.
 */
export function toProblem(error: StrataError, instance: string, requestId: string): ProblemDetails {
  const spec = errorCatalog[error.code];
  const detail =
    error.code === 'INTERNAL'
      ? `Internal error; see the server log for request ${requestId}.`
      : error.message;
  return {
    type: `urn:strata:error:${error.code}`,
    title: spec.title,
    status: httpStatusByCode[error.code],
    detail,
    instance,
    code: error.code,
    retryable: spec.retryable,
    requestId,
    ...(error.details === undefined || error.code === 'INTERNAL' ? {} : { details: error.details }),
  };
}

/**
 * The Retry-After value (seconds) for an error that names one in `details.retryAfterSeconds`
 * (a full queue, a rate limit), or undefined.
 */
export function retryAfterSeconds(error: StrataError): string | undefined {
  const value = error.details?.['retryAfterSeconds'];
  return typeof value === 'number' && value >= 0 ? String(Math.ceil(value)) : undefined;
}
