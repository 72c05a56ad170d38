import type { GraphQLFieldResolver } from 'graphql';
import type { GraphQLContext } from './context.js';

/**
 * One context's share of the GraphQL schema: the serving module adds models, the vector module
 * collections, the security module keys and tenants. Each extends the root types
 * (`extend type Query { ... }`), so a process serves the fields of the modules it runs.
 */
export interface SchemaPart {
  readonly typeDefs: string;
  /** Resolvers by type, then field. */
  readonly resolvers: Readonly<Record<string, Readonly<Record<string, Resolver>>>>;
  /**
   * Fields resolved in one call for all the objects of a query that ask for them (mercurius's
   * loaders): `collections { info { ... } }` over 100 collections is one call, not 100.
   */
  readonly loaders?: Readonly<Record<string, Readonly<Record<string, Loader>>>>;
}

export type Resolver =
  | GraphQLFieldResolver<never, GraphQLContext, never>
  | {
      readonly subscribe: GraphQLFieldResolver<never, GraphQLContext, never>;
      readonly resolve: GraphQLFieldResolver<never, GraphQLContext, never>;
    };

/**
 * Answers, in order, the field for each object that asked for it. Async, always: mercurius's
 * batching calls `.then` on the result, and an error thrown before a promise exists would escape
 * the request and end the process.
 */
export type Loader = (
  queries: readonly { readonly obj: never; readonly params: never }[],
  context: GraphQLContext,
) => Promise<unknown[]>;
