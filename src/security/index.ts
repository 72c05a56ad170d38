// The security context's public surface (ARCHITECTURE.md §2, §7). Everything outside
// src/security imports from here.
export {
  FailedAuthentications,
  MemoryQuotaCounter,
  MemoryRateLimiter,
  RedisQuotaCounter,
  RedisRateLimiter,
  peerAddress,
  setRateLimitHeaders,
  rateLimitedError,
  type MemoryQuotaCounterOptions,
  type MemoryRateLimiterOptions,
  type QuotaCounter,
  type QuotaDecision,
  type QuotaRule,
  type RateDecision,
  type RateLimiter,
  type RateRule,
  type RedisBackendOptions,
  type RedisClient,
} from './limits/index.js';
export {
  auditOutcomes,
  genesisHash,
  type AuditEntry,
  type AuditLog,
  type AuditOutcome,
  type AuditRecord,
  type ChainHead,
} from './audit/record.js';
export type { AuditProblem, AuditVerification, VerifyOptions } from './audit/chain-verifier.js';
export { verifyAuditFile } from './audit/file-verify.js';
export { FileAuditLog, type AuditFsyncPolicy, type FileAuditLogOptions } from './audit/file-log.js';
export { PostgresAuditSink } from './audit/postgres-sink.js';
export { verifyAuditTable, type PostgresAuditOptions } from './audit/postgres-table.js';
export type { PostgresConnection } from './postgres.js';
export { CompositeAuditLog } from './audit/composite.js';
export {
  type Identity,
  type ApiKeyRejection,
  type CertificateRejection,
  type JwtRejection,
} from './identity/identity.js';
export {
  CertificateIdentities,
  type CertificateMapping,
  type ClientCertificate,
} from './identity/certificate-identities.js';
export {
  type ApiKeyRecord,
  type ApiKeyStore,
  type CreateApiKey,
  type IssuedApiKey,
  type RotateOptions,
} from './identity/api-key.js';
export { FileApiKeyStore, type FileApiKeyStoreOptions } from './identity/file-api-key-store.js';
export { PostgresApiKeyStore, type PostgresApiKeyStoreOptions } from './identity/postgres-api-key-store.js';
export {
  JwtVerifier,
  jwtAlgorithms,
  type JwtAlgorithm,
  type JwtVerifierOptions,
} from './identity/jwt-verifier.js';
export {
  Authorizer,
  builtInRoles,
  scopeProblem,
  type Grant,
  type RoleDefinition,
} from './identity/authorizer.js';
export { actions, resourceTypes, type Action, type ResourceType } from './identity/resources.js';
export { identityConfigSchema, type IdentityConfig } from './identity/config.js';
export { securityConfigSchema, type RouteClass, type SecurityConfig } from './config.js';
export { SecurityModule, type Credentials, type SecurityModuleOptions } from './security-module.js';
