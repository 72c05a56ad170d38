import type pg from 'pg';
import type { Logger } from '../../kernel/index.js';
import { connect, query, table as tableOf, type PostgresConnection, type Table } from '../postgres.js';
import { ChainVerifier, type AuditVerification, type VerifyOptions } from './chain-verifier.js';
import type { AuditRecord } from './record.js';

// The SQL side of the PostgreSQL audit sink: the table, its rows, and the chain check over them.

export type PostgresAuditOptions = PostgresConnection & {
  /** The table, `name` or `schema.name`; created if missing. Default `strata_audit`. */
  readonly table?: string;
  /** Which chain of the table: one per writer (a replica, a process). Default `default`. */
  readonly chain?: string;
};

/** Rows per INSERT and per verify page; 12 parameters a row stays far below PostgreSQL's 65535. */
export const batchLimit = 1000;
const columns = 'seq, time, prev, actor, tenant, action, resource, outcome, request_id, details, hash';

/** `verifyAuditFile` for a table: the same checks on the chain's rows in seq order. */
export async function verifyAuditTable(
  options: PostgresAuditOptions & VerifyOptions & { readonly logger?: Logger },
): Promise<AuditVerification> {
  const table = auditTable(options.table);
  const { pool, owned } = connect(options, options.logger);
  try {
    return await verifyRows(pool, table, options.chain ?? 'default', options);
  } finally {
    if (owned) await pool.end();
  }
}

interface Row {
  readonly seq: string;
  readonly time: Date;
  readonly prev: string;
  readonly actor: string;
  readonly tenant: string;
  readonly action: string;
  readonly resource: string;
  readonly outcome: string;
  readonly request_id: string;
  readonly details: unknown;
  readonly hash: string;
}

export const defaultAuditTable = 'strata_audit';

/** The audit table named `name`, `strata_audit` by default. */
export function auditTable(name = defaultAuditTable): Table {
  return tableOf(name, 'audit');
}

export async function verifyRows(
  pool: pg.Pool,
  table: Table,
  chain: string,
  options: VerifyOptions,
): Promise<AuditVerification> {
  const verifier = new ChainVerifier(options.anchor);
  // Keyset pages: a long chain is never held in memory at once.
  for (let after = 0; ;) {
    const { rows } = await query<Row>(
      pool,
      table,
      `SELECT ${columns} FROM ${table.sql} WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT ${batchLimit}`,
      [chain, after],
    );
    for (const row of rows) {
      const failure = verifier.next(fromRow(row));
      if (failure !== undefined) return failure;
      after = Number(row.seq);
    }
    if (rows.length < batchLimit) return verifier.finish();
  }
}

function fromRow(row: Row): Record<string, unknown> {
  return {
    seq: Number(row.seq),
    time: row.time.toISOString(),
    prev: row.prev,
    actor: row.actor,
    tenant: row.tenant,
    action: row.action,
    resource: row.resource,
    outcome: row.outcome,
    requestId: row.request_id,
    ...(row.details === null ? {} : { details: row.details }),
    hash: row.hash,
  };
}

export function rowValues(chain: string, records: readonly AuditRecord[]): unknown[] {
  return records.flatMap((r) => [
    chain,
    r.seq,
    r.time,
    r.prev,
    r.actor,
    r.tenant,
    r.action,
    r.resource,
    r.outcome,
    r.requestId,
    r.details === undefined ? null : JSON.stringify(r.details),
    r.hash,
  ]);
}

export function insertSql(table: string, rows: number): string {
  const width = 12;
  const tuples = Array.from(
    { length: rows },
    (_, row) =>
      `(${Array.from({ length: width }, (_, column) => `$${String(row * width + column + 1)}`).join(', ')})`,
  );
  return `INSERT INTO ${table} (chain, ${columns}) VALUES ${tuples.join(', ')}`;
}

export function createTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
    chain text NOT NULL,
    seq bigint NOT NULL,
    time timestamptz NOT NULL,
    prev text NOT NULL,
    actor text NOT NULL,
    tenant text NOT NULL,
    action text NOT NULL,
    resource text NOT NULL,
    outcome text NOT NULL,
    request_id text NOT NULL,
    details jsonb,
    hash text NOT NULL,
    PRIMARY KEY (chain, seq)
  )`;
}
