import { Type, type Static } from '@sinclair/typebox';
import { StringEnum, tenantIdPattern } from '../kernel/index.js';
import { defaultAuditTable } from './audit/postgres-table.js';
import { identityConfigSchema } from './identity/config.js';
import { tableNamePattern } from './postgres.js';

/** A bucket with defaults; `what` names what it counts, plural ("requests"). */
const rateRule = (description: string, ratePerSecond: number, burst: number, what = 'requests') =>
  Type.Object(
    {
      ratePerSecond: Type.Number({
        exclusiveMinimum: 0,
        default: ratePerSecond,
        description: `Sustained ${what} per second.`,
      }),
      burst: Type.Integer({
        minimum: 1,
        default: burst,
        description: `${what[0]?.toUpperCase() ?? ''}${what.slice(1)} allowed at once on a full bucket.`,
      }),
    },
    { additionalProperties: false, default: {}, description },
  );

/** A bucket with no defaults: both numbers are given, or the bucket is absent. */
const requiredRateRule = Type.Object(
  {
    ratePerSecond: Type.Number({ exclusiveMinimum: 0, description: 'Sustained requests per second.' }),
    burst: Type.Integer({ minimum: 1, description: 'Requests allowed at once on a full bucket.' }),
  },
  { additionalProperties: false },
);

const quotaFields = {
  requestsPerDay: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Authenticated requests per UTC day, all keys together.' }),
  ),
  inferenceItemsPerDay: Type.Optional(
    Type.Integer({
      minimum: 1,
      description:
        'Inference items per UTC day: rows of each infer request (the first dimension of its first input), texts of each embeddings request (chat requests, forwarded to their remote server, count only as requests).',
    }),
  ),
  storedVectors: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        "Points stored over all the tenant's collections; an upsert that would pass it is refused.",
    }),
  ),
};

const tenantQuotasSchema = Type.Object(quotaFields, { additionalProperties: false });

/** One tenant's quotas; an absent field is no limit. */
export type TenantQuotas = Static<typeof tenantQuotasSchema>;

/** The security module's configuration (ARCHITECTURE.md §7, docs/decisions/0008). */
export const securityConfigSchema = Type.Object(
  {
    auth: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description:
            'Require an API key or a bearer token on every route except health checks, metrics and the API description. Switch off only on purpose.',
        }),
        adminKeyFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'Where the admin key created on the first start is written (mode 0600). Default: `<dataDir>/admin.key`.',
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    identity: identityConfigSchema,
    rateLimit: Type.Object(
      {
        backend: Type.Union([Type.Literal('memory'), Type.Literal('redis')], {
          default: 'memory',
          description:
            'Where the token buckets live: this process (`memory`), or Redis (`backends.redis.url`), so that limits hold across replicas.',
        }),
        redisKeyPrefix: Type.String({
          minLength: 1,
          default: 'strata:rl:',
          description:
            'With `backend: redis`, what the bucket and daily quota keys in Redis start with. Replicas that share limits use the same prefix; deployments that share one Redis, different ones.',
        }),
        perKey: rateRule('Token bucket of each API key or token subject.', 200, 400),
        perTenant: rateRule('Token bucket of each tenant, all its keys together.', 1000, 2000),
        failedAuthentications: rateRule(
          "Token bucket of failed authentications (missing, unknown, revoked or expired credentials) per client address, in every API. Once it is empty, that address is answered 429 RATE_LIMITED without its credentials being checked or audited until a token is back; keys verified before still pass. Behind a proxy set `server.trustProxy`, or every client shares the proxy's bucket.",
          1,
          50,
          'failed authentications',
        ),
        perRouteClass: Type.Object(
          {
            inference: Type.Optional(requiredRateRule),
            vectors: Type.Optional(requiredRateRule),
            admin: Type.Optional(requiredRateRule),
          },
          {
            additionalProperties: false,
            default: {},
            description:
              "Token buckets of each tenant per route class — `inference` (/v2, /v1 and gRPC `inference.GRPCInferenceService`), `vectors` (/collections), `admin` (/admin) — taken after the key's and the tenant's; none by default. E.g. `{inference: {ratePerSecond: 50, burst: 100}}`.",
          },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    quotas: Type.Object(
      {
        ...quotaFields,
        tenants: Type.Record(Type.String({ pattern: tenantIdPattern }), tenantQuotasSchema, {
          default: {},
          description:
            'Per-tenant quotas that replace the ones above for that tenant, field by field: `{acme: {storedVectors: 1000000}}`.',
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          "Each tenant's quotas (none when absent). Daily counts live where the rate limits do (`rateLimit.backend`), so they hold across replicas with Redis; a used-up daily quota is 429 RATE_LIMITED until 00:00 UTC, a full vector quota 429 QUOTA_EXCEEDED.",
      },
    ),
    audit: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description:
            'Write the tamper-evident audit log of changes, denials and failed logins (with authentication on).',
        }),
        file: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'With sink `file` or `both`, the audit log file. Default: `<dataDir>/audit/audit.jsonl`.',
          }),
        ),
        sink: StringEnum(['file', 'postgres', 'both'], {
          default: 'file',
          description:
            'Where records go: the file (`file`), a PostgreSQL table (`postgres`, `backends.postgres.url`), or both (`both`; a record counts as written once both have it).',
        }),
        fsync: Type.Union([Type.Literal('always'), Type.Literal('interval')], {
          default: 'always',
          description:
            'For the file: `always`: every acknowledged record is on disk; `interval`: synced once a second.',
        }),
        table: Type.String({
          pattern: tableNamePattern,
          default: defaultAuditTable,
          description:
            'With sink `postgres` or `both`, the audit table (`name` or `schema.name`); created if missing. Grant Strata INSERT and SELECT on it only.',
        }),
        chain: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              "With sink `postgres` or `both`, this process's chain in the table; each writer needs its own, so give each replica a different one. Default: the host name.",
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export type SecurityConfig = Static<typeof securityConfigSchema>;

/**
 * What a route is for, for per-class buckets: inference (Open Inference Protocol, OpenAI API),
 * vectors (the Qdrant API), admin (API keys).
 */
export type RouteClass = keyof SecurityConfig['rateLimit']['perRouteClass'];
