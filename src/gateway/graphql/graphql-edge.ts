import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ExecutionResult, GraphQLError } from 'graphql';
import mercurius, { type IResolvers, type MercuriusLoaders } from 'mercurius';
import type { SecurityModule } from '../../security/index.js';
import type { ServerConfig } from '../config.js';
import { flattenErrors, formatGraphQLError, strataErrorOf } from '../errors/graphql.js';
import { httpStatusByCode, retryAfterSeconds } from '../errors/http.js';
import { operationOf, subscriberFor, type GraphQLContext } from './context.js';
import { registerGraphiQL } from './graphiql.js';
import { limitComplexity } from './limits.js';
import { jsonScalar, pointIdScalar } from './scalars.js';
import type { SchemaPart } from './schema-part.js';

/**
 * `/graphql` (docs/decisions/0010): one schema assembled from the parts the modules of this
 * process add (models, collections, keys and tenants), on the same Fastify server as REST, behind
 * the same authentication and rate-limit hooks; resolvers call the same guarded procedures.
 * Subscriptions run over WebSocket (the graphql-transport-ws protocol) at the same path.
 */
export class GraphQLEdge {
  readonly #parts: SchemaPart[] = [];

  /** Adds a module's types and resolvers; before the server starts. */
  add(part: SchemaPart): void {
    this.#parts.push(part);
  }

  /** Mounts /graphql (and /graphiql) when some module added a part; called once, before listening. */
  async register(
    app: FastifyInstance,
    config: ServerConfig['graphql'],
    security: SecurityModule | undefined,
  ): Promise<void> {
    const parts = this.#parts;
    if (parts.length === 0) return;
    // In a plugin of its own: mercurius's error handler (GraphQL-shaped errors) then also answers
    // the authentication and rate-limit hooks' refusals on /graphql, and nothing else.
    await app.register(async (scope) => {
      await scope.register(mercurius, {
        schema: [rootTypes(parts), ...parts.map((part) => part.typeDefs)],
        resolvers: {
          JSON: jsonScalar,
          PointId: pointIdScalar,
          ...merged(parts.map((part) => part.resolvers)),
        } as IResolvers,
        loaders: merged(parts.map((part) => part.loaders ?? {})) as MercuriusLoaders,
        path: '/graphql',
        graphiql: false,
        queryDepth: config.maxDepth,
        context: (request): GraphQLContext => ({ strata: operationOf(request) }),
        subscription: {
          context: (_socket, request): GraphQLContext => ({ subscriber: subscriberFor(security, request) }),
        },
        errorFormatter: (execution, context) => formatErrors(execution, context),
      });
      limitComplexity(scope, config.maxComplexity);
    });
    if (config.graphiql) registerGraphiQL(app);
  }
}

/** The root types the parts extend; Mutation and Subscription only when some part adds to them. */
function rootTypes(parts: readonly SchemaPart[]): string {
  const roots = ['scalar JSON', 'scalar PointId', 'type Query'];
  for (const root of ['Mutation', 'Subscription']) {
    if (parts.some((part) => part.typeDefs.includes(`extend type ${root}`))) roots.push(`type ${root}`);
  }
  return roots.join('\n');
}

function merged<T>(
  tables: readonly Readonly<Record<string, Readonly<Record<string, T>>>>[],
): Record<string, unknown> {
  const result: Record<string, Record<string, T> | undefined> = {};
  for (const table of tables) {
    for (const [type, fields] of Object.entries(table)) {
      result[type] = { ...result[type], ...fields };
    }
  }
  return result;
}

interface FormatterContext {
  readonly reply?: FastifyReply;
  readonly strata?: { readonly requestId: string };
}

/**
 * Every error with `extensions.code`. A request refused before it ran (it did not parse, broke
 * the schema or a limit, or the hooks refused it) gets its code's HTTP status; errors of a query
 * that ran are answered with 200 and whatever data it produced, as GraphQL over HTTP asks.
 */
function formatErrors(
  execution: ExecutionResult & { readonly errors: readonly GraphQLError[] },
  context: FormatterContext,
): { statusCode: number; response: ExecutionResult } {
  const reply = context.reply;
  const requestId = context.strata?.requestId ?? reply?.request.id ?? '-';
  const errors = flattenErrors(execution.errors).map((error) => {
    const failure = strataErrorOf(error);
    if (failure.errorClass === 'system') reply?.log.error({ err: failure }, 'GraphQL operation failed');
    const retryAfter = retryAfterSeconds(failure);
    if (retryAfter !== undefined) void reply?.header('retry-after', retryAfter);
    return { formatted: formatGraphQLError(error, failure, requestId), failure };
  });
  const ran = 'data' in execution;
  const first = errors[0]?.failure;
  return {
    statusCode: ran || first === undefined ? 200 : httpStatusByCode[first.code],
    response: {
      // A request that never ran has no data at all, not `data: null` (GraphQL spec, Response Format).
      ...(ran ? { data: execution.data ?? null } : {}),
      errors: errors.map((each) => each.formatted) as unknown as GraphQLError[],
    },
  };
}
