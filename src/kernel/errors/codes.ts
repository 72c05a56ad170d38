/**
 * The catalogue of stable error codes. A code never changes meaning once released: add a new
 * code instead. Each transport maps every code exhaustively (gateway/errors), and
 * docs/errors.md is generated from this table (a test keeps it in sync).
 */
export type ErrorClass = 'user' | 'system';

export interface ErrorSpec {
  /** `user`: the caller must change the request; `system`: Strata or a dependency failed. */
  readonly class: ErrorClass;
  /** Whether repeating the same request later can succeed. */
  readonly retryable: boolean;
  /** A short, fixed summary of the problem type (RFC 9457 `title`). */
  readonly title: string;
  /** When the code is used and what to do about it. */
  readonly description: string;
}

export const errorCatalog = {
  INVALID_ARGUMENT: {
    class: 'user',
    retryable: false,
    title: 'Invalid argument',
    description:
      'A request field, parameter or body failed validation. The detail names the field and what is allowed.',
  },
  MALFORMED_REQUEST: {
    class: 'user',
    retryable: false,
    title: 'Malformed request',
    description:
      'The request body could not be parsed (for example invalid JSON). Fix the encoding and resend.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    class: 'user',
    retryable: false,
    title: 'Unsupported media type',
    description: 'The Content-Type of the request is not accepted by this route. Send application/json.',
  },
  PAYLOAD_TOO_LARGE: {
    class: 'user',
    retryable: false,
    title: 'Payload too large',
    description:
      'The request body is larger than the configured limit (server.bodyLimitBytes). Split the request or raise the limit.',
  },
  ROUTE_NOT_FOUND: {
    class: 'user',
    retryable: false,
    title: 'Route not found',
    description: 'No route matches the method and path. See /openapi.json for the routes this server offers.',
  },
  NOT_FOUND: {
    class: 'user',
    retryable: false,
    title: 'Resource not found',
    description: 'The named resource (collection, model, point, ...) does not exist.',
  },
  ALREADY_EXISTS: {
    class: 'user',
    retryable: false,
    title: 'Resource already exists',
    description:
      'A resource with this name already exists. Choose another name or delete the existing one first.',
  },
  UNAUTHENTICATED: {
    class: 'user',
    retryable: false,
    title: 'Unauthenticated',
    description: 'The request carries no valid credential. Send an API key or a bearer token.',
  },
  PERMISSION_DENIED: {
    class: 'user',
    retryable: false,
    title: 'Permission denied',
    description: 'The credential is valid but its roles do not allow this action on this resource.',
  },
  RATE_LIMITED: {
    class: 'user',
    retryable: true,
    title: 'Rate limited',
    description: 'Too many requests. Wait for the time given in Retry-After, then retry.',
  },
  QUOTA_EXCEEDED: {
    class: 'user',
    retryable: false,
    title: 'Quota exceeded',
    description:
      "The tenant's quota (`security.quotas`, e.g. stored vectors) would be exceeded. Delete what is no longer needed or ask an operator to raise the quota.",
  },
  OVERLOADED: {
    class: 'user',
    retryable: true,
    title: 'Overloaded',
    description:
      "A model's request queue is full (its `queue.max_size`). Retry after the time given in Retry-After, send fewer concurrent requests, or raise the model's instance_count or queue size.",
  },
  QUEUE_TIMEOUT: {
    class: 'system',
    retryable: true,
    title: 'Queue timeout',
    description:
      "A request waited longer than its queue timeout (`queue.timeout_us`, or the request's `timeout` parameter) without a free model instance. Retry after the time given in Retry-After.",
  },
  MODEL_EXECUTION_FAILED: {
    class: 'system',
    retryable: false,
    title: 'Model execution failed',
    description:
      'The model backend (ONNX Runtime, a TypeScript handler, a remote server) failed this request. Other requests and models are unaffected; the detail and the server log say why.',
  },
  CONFIG_INVALID: {
    class: 'user',
    retryable: false,
    title: 'Invalid configuration',
    description:
      'The configuration (defaults, file, STRATA_* environment, flags) failed validation. The detail names each key path and what is allowed.',
  },
  UNKNOWN_TARGET: {
    class: 'user',
    retryable: false,
    title: 'Unknown target',
    description: 'A --target names no known module. The detail lists the targets that exist.',
  },
  NOT_READY: {
    class: 'system',
    retryable: true,
    title: 'Not ready',
    description: 'A module needed for this request is not running yet. Retry after /readyz reports ready.',
  },
  SHUTTING_DOWN: {
    class: 'system',
    retryable: true,
    title: 'Shutting down',
    description: 'The process is draining before it stops. Retry against another replica.',
  },
  UNAVAILABLE: {
    class: 'system',
    retryable: true,
    title: 'Unavailable',
    description: 'A dependency (database, broker, remote model) could not be reached. Retry later.',
  },
  DEADLINE_EXCEEDED: {
    class: 'system',
    retryable: true,
    title: 'Deadline exceeded',
    description: 'The request did not complete within its deadline.',
  },
  MODULE_START_FAILED: {
    class: 'system',
    retryable: false,
    title: 'Module failed to start',
    description:
      'A module failed while starting; the modules already started were stopped. The detail names the module and the cause.',
  },
  MODULE_DEPENDENCY_CYCLE: {
    class: 'system',
    retryable: false,
    title: 'Module dependency cycle',
    description: 'The module table contains a dependency cycle. This is a bug in Strata: please report it.',
  },
  INTERNAL: {
    class: 'system',
    retryable: false,
    title: 'Internal error',
    description:
      'An unexpected error. The log line with the same request id holds the cause; please report it.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalog;

export const errorCodes = Object.keys(errorCatalog) as readonly ErrorCode[];
