import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import type { Logger } from '../kernel/index.js';
import { CompositeAuditLog } from './audit/composite.js';
import { FileAuditLog } from './audit/file-log.js';
import { PostgresAuditSink } from './audit/postgres-sink.js';
import type { AuditLog } from './audit/record.js';
import type { SecurityConfig } from './config.js';
import type { ApiKeyStore } from './identity/api-key.js';
import { FileApiKeyStore } from './identity/file-api-key-store.js';
import { PostgresApiKeyStore } from './identity/postgres-api-key-store.js';

// Where the security module keeps its state, as configured: the audit log's sinks and the API
// keys, each in this process's data directory or in the PostgreSQL that replicas share.

export interface BackendContext {
  readonly config: SecurityConfig;
  readonly dataDir: string;
  readonly logger: Logger;
  /** The pool of `backends.postgres.url`, made on the first call. */
  readonly postgres: () => pg.Pool;
}

export async function openKeyStore(context: BackendContext): Promise<ApiKeyStore> {
  const { identity } = context.config;
  if (identity.keyStore === 'file') return FileApiKeyStore.open(join(context.dataDir, 'security'));
  return PostgresApiKeyStore.open({
    pool: context.postgres(),
    table: identity.keyTable,
    cacheMs: identity.keyCacheMs,
  });
}

/** The configured sinks as one log; with `both`, the file first (CompositeAuditLog's order). */
export async function openAuditLog(context: BackendContext): Promise<AuditLog> {
  const { audit } = context.config;
  if (audit.sink === 'file') return openFile(context);
  const file = audit.sink === 'both' ? await openFile(context) : undefined;
  let table: AuditLog;
  try {
    table = await PostgresAuditSink.open({
      pool: context.postgres(),
      table: audit.table,
      chain: audit.chain ?? hostname(),
      logger: context.logger,
    });
  } catch (error) {
    await file?.close();
    throw error;
  }
  return file === undefined ? table : new CompositeAuditLog([file, table]);
}

async function openFile({ config, dataDir, logger }: BackendContext): Promise<AuditLog> {
  const path = config.audit.file ?? join(dataDir, 'audit', 'audit.jsonl');
  await mkdir(dirname(path), { recursive: true });
  return FileAuditLog.open({ path, logger, fsync: config.audit.fsync });
}
