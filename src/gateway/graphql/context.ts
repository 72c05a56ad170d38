import type { FastifyRequest } from 'fastify';
import { StrataError } from '../../kernel/index.js';
import type { Credentials, Identity, SecurityModule } from '../../security/index.js';
import { authenticate, IdentityCaller, requestIdOf } from '../procedures/caller.js';
import type { Caller } from '../procedures/guard.js';

/**
 * Who a GraphQL operation runs for. Queries and mutations arrive on an HTTP request that the
 * gateway's hooks have already authenticated and rate-limited (rest/authentication.ts), so their
 * caller is the request's. Subscriptions arrive on a WebSocket, which browsers cannot give an
 * `Authorization` header: each subscription authenticates when it starts, from the
 * `connection_init` payload (`{"authorization": "Bearer ..."}` or `{"api-key": ...}`), or else
 * from the headers of the upgrade request.
 */
export interface Operation {
  /** Undefined when authentication is off. */
  readonly caller: Caller | undefined;
  readonly identity: Identity | undefined;
  readonly requestId: string;
  /** Lower-case request headers, for A/B routing of inference by header. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** What mercurius hands every resolver, with Strata's part under its own key. */
export interface GraphQLContext {
  /** Set for queries and mutations. */
  readonly strata?: Operation;
  /** Set for subscriptions: authenticates the subscription that starts. */
  readonly subscriber?: (connectionInit: unknown) => Promise<Operation>;
  readonly _connectionInit?: unknown;
}

function flatHeaders(request: FastifyRequest): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = Array.isArray(value) ? value[0] : value;
  }
  return headers;
}

/** The operation of a query or mutation: the HTTP request's caller. */
export function operationOf(request: FastifyRequest): Operation {
  return {
    caller: request.caller,
    identity: request.identity,
    requestId: request.id,
    headers: flatHeaders(request),
  };
}

/** The operation of the query or mutation a resolver runs in. */
export function operationIn(context: GraphQLContext): Operation {
  if (context.strata === undefined) {
    throw new StrataError('INTERNAL', 'a GraphQL query ran without its request context');
  }
  return context.strata;
}

/** Authenticates each subscription of a WebSocket connection (see Operation). */
export function subscriberFor(
  security: SecurityModule | undefined,
  upgrade: FastifyRequest,
): (connectionInit: unknown) => Promise<Operation> {
  return async (connectionInit) => {
    const requestId = requestIdOf(undefined);
    const headers = flatHeaders(upgrade);
    if (security?.enabled !== true) return { caller: undefined, identity: undefined, requestId, headers };
    const given = credentialsIn(connectionInit);
    const credentials: Credentials = {
      ...(given.authorization === undefined && given.apiKey === undefined
        ? { authorization: headers['authorization'], apiKey: headers['api-key'] }
        : given),
      source: upgrade.ip,
    };
    const identity = await authenticate(security, credentials, {
      requestId,
      resource: 'subscription /graphql',
    });
    await security.admit(identity);
    return { caller: new IdentityCaller(requestId, identity, security), identity, requestId, headers };
  };
}

/** Credentials in a `connection_init` payload, directly or under `headers`, names in any case. */
function credentialsIn(payload: unknown): Credentials {
  if (typeof payload !== 'object' || payload === null) return {};
  const record = payload as Record<string, unknown>;
  const nested = record['headers'];
  const fields = typeof nested === 'object' && nested !== null ? (nested as Record<string, unknown>) : record;
  const find = (name: string): string | undefined => {
    for (const [key, value] of Object.entries(fields)) {
      if (key.toLowerCase() === name && typeof value === 'string') return value;
    }
    return undefined;
  };
  return { authorization: find('authorization'), apiKey: find('api-key') };
}

/** The operation a subscription runs for, authenticated when it starts. */
export async function subscriberOf(context: GraphQLContext): Promise<Operation> {
  if (context.subscriber === undefined) return operationIn(context);
  return context.subscriber(context._connectionInit);
}
