import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { errorCatalog, type ErrorCode, type StrataError } from '../../kernel/index.js';
import { retryAfterSeconds } from './http.js';

/** Every code's gRPC status, after the canonical mapping in google.rpc.Code. */
export const grpcStatusByCode = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  MALFORMED_REQUEST: GrpcStatus.INVALID_ARGUMENT,
  UNSUPPORTED_MEDIA_TYPE: GrpcStatus.INVALID_ARGUMENT,
  PAYLOAD_TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
  ROUTE_NOT_FOUND: GrpcStatus.UNIMPLEMENTED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  RATE_LIMITED: GrpcStatus.RESOURCE_EXHAUSTED,
  QUOTA_EXCEEDED: GrpcStatus.RESOURCE_EXHAUSTED,
  OVERLOADED: GrpcStatus.RESOURCE_EXHAUSTED,
  QUEUE_TIMEOUT: GrpcStatus.UNAVAILABLE,
  MODEL_EXECUTION_FAILED: GrpcStatus.INTERNAL,
  CONFIG_INVALID: GrpcStatus.FAILED_PRECONDITION,
  UNKNOWN_TARGET: GrpcStatus.INVALID_ARGUMENT,
  NOT_READY: GrpcStatus.UNAVAILABLE,
  SHUTTING_DOWN: GrpcStatus.UNAVAILABLE,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  MODULE_START_FAILED: GrpcStatus.INTERNAL,
  MODULE_DEPENDENCY_CYCLE: GrpcStatus.INTERNAL,
  INTERNAL: GrpcStatus.INTERNAL,
} as const satisfies Record<ErrorCode, GrpcStatus>;

/**
 * The gRPC error for a StrataError: the status from the map, the message as `details`, and the
 * stable code and retry hint as trailing metadata (`strata-error-code`, `strata-retryable`, and
 * `retry-after` in seconds when the error names a wait).
 */
export function toGrpcError(error: StrataError): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set('strata-error-code', error.code);
  metadata.set('strata-retryable', String(errorCatalog[error.code].retryable));
  // A rate limit's wait, as the HTTP Retry-After header gives it (whole seconds).
  const retryAfter = retryAfterSeconds(error);
  if (retryAfter !== undefined) metadata.set('retry-after', retryAfter);
  return {
    code: grpcStatusByCode[error.code],
    details: error.code === 'INTERNAL' ? 'internal error; see the server log' : error.message,
    metadata,
  };
}
