export { errorCatalog, errorCodes, type ErrorClass, type ErrorCode, type ErrorSpec } from './errors/codes.js';
export {
  StrataError,
  causeChain,
  isStrataError,
  toStrataError,
  type StrataErrorOptions,
} from './errors/strata-error.js';
export { createLogger, flushLogger, logLevels, type LogLevel, type Logger } from './logger.js';
export { packageRoot } from './package-root.js';
export { StringEnum } from './schema.js';
export { noLifecycle, type Lifecycle } from './lifecycle.js';
export { DirectoryLock } from './directory-lock.js';
export {
  stageFile,
  syncDirectory,
  writeChunks,
  writeFileAtomically,
  type ByteSink,
  type ByteWriter,
  type StagedFile,
} from './durable-fs.js';
export { checkTenantId, defaultTenant, isTenantId, tenantIdPattern } from './tenant.js';
