import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { StrataError, isStrataError, toStrataError } from '../../kernel/index.js';
import { clientMessage, fromRequestError } from '../rest/errors.js';

/**
 * GraphQL's side of the one error model: every error a response carries has
 * `extensions.code` (the stable code) and `extensions.retryable`. Errors graphql-js raises itself
 * — a query that does not parse, or that does not fit the schema or its limits — have no
 * Strata error behind them and become MALFORMED_REQUEST or INVALID_ARGUMENT.
 */

/** The StrataError behind one GraphQL error. */
export function strataErrorOf(error: GraphQLError): StrataError {
  const original = error.originalError;
  if (original === undefined) {
    return error.message.startsWith('Syntax Error')
      ? new StrataError('MALFORMED_REQUEST', error.message)
      : new StrataError('INVALID_ARGUMENT', error.message);
  }
  if (isStrataError(original)) return original;
  if (original instanceof GraphQLError) return strataErrorOf(original);
  // A scalar's parse error (scalars.ts) or an input coercion error wraps a plain Error.
  if (error.path === undefined && !isRequestError(original)) {
    return new StrataError('INVALID_ARGUMENT', error.message);
  }
  return fromRequestError(original);
}

/** Fastify's and mercurius's own errors (a body too large, a mutation sent with GET) carry a 4xx status. */
function isRequestError(error: Error): boolean {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Mercurius reports a request that fails validation as one error holding the list of what
 * graphql-js found; each of those is answered as an error of its own.
 */
export function flattenErrors(errors: readonly GraphQLError[]): GraphQLError[] {
  return errors.flatMap((error) => {
    const inner = (error.originalError as { errors?: unknown } | null | undefined)?.errors;
    if (!Array.isArray(inner)) return [error];
    return inner.map((each: unknown) => {
      if (each instanceof GraphQLError) return each;
      const message = each instanceof Error ? each.message : String(each);
      // Mercurius's own refusals (e.g. a mutation sent with GET) are plain Errors: the request's fault.
      return new GraphQLError(message, {
        originalError: new StrataError('INVALID_ARGUMENT', message),
      });
    });
  });
}

/** One error as the client sees it: an INTERNAL error's text stays in the server log. */
export function formatGraphQLError(
  error: GraphQLError,
  failure: StrataError,
  requestId: string,
): GraphQLFormattedError {
  const { locations, path } = error.toJSON();
  return {
    message: clientMessage(failure, requestId),
    ...(locations === undefined ? {} : { locations }),
    ...(path === undefined ? {} : { path }),
    extensions: { code: failure.code, retryable: failure.retryable },
  };
}

/**
 * An error raised where mercurius does not format errors (a subscription that fails to start):
 * a GraphQLError that carries its code itself.
 */
export function codedGraphQLError(error: unknown): GraphQLError {
  const failure = toStrataError(error);
  return new GraphQLError(clientMessage(failure, '-'), {
    originalError: failure,
    extensions: { code: failure.code, retryable: failure.retryable },
  });
}
