import type { ApiKeyRecord, IssuedApiKey, SecurityModule } from '../../security/index.js';
import { KeyProcedures, type CreateKeyRequest } from '../procedures/keys.js';
import { operationIn, type GraphQLContext } from './context.js';
import type { SchemaPart } from './schema-part.js';

/** API keys and tenants for admins (procedures/keys.ts, as `/admin/keys` over REST). */
const typeDefs = /* GraphQL */ `
  "An API key; its secret is shown only when it is created or rotated."
  type ApiKey {
    id: String!
    tenant: String!
    name: String!
    roles: [String!]!
    scopes: [String!]
    createdAt: String!
    expiresAt: String
    rotatedAt: String
    revokedAt: String
  }

  "A new secret: the only time it is shown."
  type IssuedApiKey {
    key: String!
    apiKey: ApiKey!
  }

  "A tenant that holds keys or has quotas of its own, with its quotas (null: no limit)."
  type Tenant {
    id: String!
    activeKeys: Int!
    requestsPerDay: Int
    inferenceItemsPerDay: Int
    storedVectors: Int
  }

  extend type Query {
    "Your tenant's keys; admins of the default tenant may name another."
    apiKeys(tenant: String): [ApiKey!]!
    "Every tenant, for admins of the default tenant."
    tenants: [Tenant!]!
  }

  extend type Mutation {
    createApiKey(
      name: String!
      roles: [String!]!
      tenant: String
      scopes: [String!]
      expiresAt: String
    ): IssuedApiKey!
    revokeApiKey(id: String!): ApiKey!
    rotateApiKey(id: String!): IssuedApiKey!
  }
`;

function issued({ key, record }: IssuedApiKey): { key: string; apiKey: ApiKeyRecord } {
  return { key, apiKey: record };
}

export function adminSchema(security: SecurityModule): SchemaPart {
  const keys = (context: GraphQLContext): KeyProcedures => {
    const { identity, caller } = operationIn(context);
    return KeyProcedures.of(security, identity, caller);
  };
  return {
    typeDefs,
    resolvers: {
      Query: {
        apiKeys: (_: unknown, args: { tenant?: string | null }, context: GraphQLContext) =>
          keys(context).list(args.tenant),
        tenants: (_: unknown, _args: unknown, context: GraphQLContext) => keys(context).tenants(),
      },
      Mutation: {
        createApiKey: async (_: unknown, args: CreateKeyRequest, context: GraphQLContext) =>
          issued(await keys(context).create(args)),
        revokeApiKey: (_: unknown, args: { id: string }, context: GraphQLContext) =>
          keys(context).revoke(args.id),
        rotateApiKey: async (_: unknown, args: { id: string }, context: GraphQLContext) =>
          issued(await keys(context).rotate(args.id)),
      },
    },
  };
}
