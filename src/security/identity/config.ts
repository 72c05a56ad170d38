import { Type, type Static } from '@sinclair/typebox';
import { StringEnum, tenantIdPattern } from '../../kernel/index.js';
import { tableNamePattern } from '../postgres.js';
import { jwtAlgorithms } from './jwt-verifier.js';
import { defaultKeyCacheMs } from './postgres-api-key-store.js';
import { defaultKeyTable } from './postgres-api-key-table.js';

const grantSchema = Type.Object(
  {
    actions: Type.Union([Type.Literal('*'), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
      description: 'Actions granted (read, write, infer, admin), or "*" for all.',
    }),
    resources: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description:
        'Resource patterns: <type>:<name> with type collection, model, pipeline, feature_view or admin; * matches any run of characters (collection:orders-*, model:*, *).',
    }),
  },
  { additionalProperties: false },
);

const roleSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      description: 'Role name; admin, editor and viewer are built in and reserved.',
    }),
    grants: Type.Array(grantSchema, { default: [] }),
    inherits: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'Roles whose grants this one includes.' }),
    ),
  },
  { additionalProperties: false },
);

/** Bearer-token verification; the field names are JwtVerifierOptions', so the object passes straight through. */
const jwtSchema = Type.Object(
  {
    issuer: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String())], { description: 'Accepted iss values.' }),
    ),
    audience: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String())], {
        description: 'Accepted aud values; one must be in the token.',
      }),
    ),
    algorithms: Type.Optional(
      Type.Array(StringEnum(jwtAlgorithms), {
        description: 'Accepted algorithms; default: all the configured keys allow.',
      }),
    ),
    secret: Type.Optional(
      Type.String({
        minLength: 32,
        'x-secret': true,
        description: 'HS256 shared secret, at least 32 bytes.',
      }),
    ),
    publicKeyPem: Type.Optional(
      Type.String({ description: 'RSA (RS256) or P-256 (ES256) public key, SPKI PEM.' }),
    ),
    jwksUrl: Type.Optional(
      Type.String({ description: 'JSON Web Key Set URL (https; http only to localhost).' }),
    ),
    jwksCooldownMs: Type.Integer({
      minimum: 0,
      default: 30_000,
      description:
        'After a JWKS fetch, how long a token with an unknown kid waits before it may trigger another.',
    }),
    jwksCacheMaxAgeMs: Type.Integer({
      minimum: 0,
      default: 600_000,
      description: 'How long fetched keys are used before the set is fetched again.',
    }),
    jwksTimeoutMs: Type.Integer({ minimum: 1, default: 5_000, description: 'Timeout of a JWKS fetch.' }),
    clockSkewSeconds: Type.Integer({ minimum: 0, default: 30, description: 'Tolerance for exp and nbf.' }),
    tenantClaim: Type.String({
      minLength: 1,
      default: 'tenant',
      description: 'Claim holding the tenant; required.',
    }),
    rolesClaim: Type.String({ minLength: 1, default: 'roles', description: 'Claim holding the role names.' }),
    scopesClaim: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Claim holding scopes (<action>:<resource pattern>) that narrow the roles.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** A client certificate (mTLS) accepted as an identity; the field names are CertificateMapping's. */
const certificateSchema = Type.Object(
  {
    commonName: Type.Optional(Type.String({ minLength: 1 })),
    fingerprint256: Type.Optional(
      Type.String({ pattern: '^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$' }),
    ),
    tenant: Type.String({ pattern: tenantIdPattern }),
    roles: Type.Array(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/** Identities: where API keys live, custom roles, JWT verification when bearer tokens are accepted, client certificates. */
export const identityConfigSchema = Type.Object(
  {
    keyStore: StringEnum(['file', 'postgres'], {
      default: 'file',
      description:
        'Where API keys live: a file under `<dataDir>/security` that this process alone uses (`file`), or a PostgreSQL table (`backends.postgres.url`) that replicas share (`postgres`).',
    }),
    keyTable: Type.String({
      pattern: tableNamePattern,
      default: defaultKeyTable,
      description:
        'With `keyStore: postgres`, the table of API keys (`name` or `schema.name`); created if missing.',
    }),
    keyCacheMs: Type.Integer({
      minimum: 0,
      default: defaultKeyCacheMs,
      description:
        'With `keyStore: postgres`, how long a verified API key is trusted without reading its row again: a key revoked or rotated through another replica is refused here within this time (through this one, at once).',
    }),
    roles: Type.Array(roleSchema, {
      default: [],
      description: 'Custom roles, next to the built-in admin, editor and viewer.',
    }),
    jwt: Type.Optional(jwtSchema),
    certificates: Type.Array(certificateSchema, {
      default: [],
      description:
        'Client certificates accepted as identities when server.tls asks for them: entries `{ commonName?, fingerprint256?, tenant, roles }`. A certificate the CA verified acts as the first entry whose given fields match it (fingerprint: SHA-256, hex, colons optional), with subject `cert:<CN>`; an API key or bearer token on the request takes precedence. A verified certificate that matches no entry is refused (401).',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type IdentityConfig = Static<typeof identityConfigSchema>;
