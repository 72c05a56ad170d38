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
export {
  verifyAuditTable,
  type PostgresAuditOptions,
  type PostgresConnection,
} from './audit/postgres-table.js';
export { CompositeAuditLog } from './audit/composite.js';
