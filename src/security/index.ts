// The security context's public surface (ARCHITECTURE.md §7). Everything outside src/security
// imports from here.
export { type Identity, type ApiKeyRejection, type JwtRejection } from './identity/identity.js';
export {
  type ApiKeyRecord,
  type ApiKeyStore,
  type CreateApiKey,
  type IssuedApiKey,
  type RotateOptions,
} from './identity/api-key.js';
export { FileApiKeyStore, type FileApiKeyStoreOptions } from './identity/file-api-key-store.js';
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
