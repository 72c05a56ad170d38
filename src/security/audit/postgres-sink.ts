import pg from 'pg';
import { StrataError, isStrataError, type Logger } from '../../kernel/index.js';
import { ChainVerifier, type AuditVerification, type VerifyOptions } from './chain-verifier.js';
import {
  chainRecord,
  checkEntry,
  type AuditEntry,
  type AuditLog,
  type AuditRecord,
  type ChainHead,
} from './record.js';

/** A pool the caller owns (left open by `close`), or a connection string for a pool of our own. */
export type PostgresConnection = { readonly pool: pg.Pool } | { readonly connectionString: string };

export type PostgresAuditOptions = PostgresConnection & {
  /** The table, `name` or `schema.name`; created if missing. Default `strata_audit`. */
  readonly table?: string;
  /** Which chain of the table: one per writer (a replica, a process). Default `default`. */
  readonly chain?: string;
};

const batchLimit = 1000;
const identifier = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const columns = 'seq, time, prev, actor, tenant, action, resource, outcome, request_id, details, hash';

interface Pending {
  readonly entry: AuditEntry;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The audit log as rows of a PostgreSQL table, one chain per `chain` value with `seq` as its key,
 * the same records and hashes as the file format. Grant Strata's role INSERT and SELECT only:
 * the chain detects an UPDATE or DELETE, the grant prevents it.
 */
export class PostgresAuditSink implements AuditLog {
  #head: ChainHead | undefined;
  #pending: Pending[] = [];
  #draining: Promise<void> | undefined;
  #closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    private readonly table: string,
    readonly chain: string,
    head: ChainHead,
  ) {
    this.#head = head;
  }

  /** Creates the table if missing and resumes the chain; a damaged chain is not extended. */
  static async open(options: PostgresAuditOptions & { readonly logger: Logger }): Promise<PostgresAuditSink> {
    const table = quoteTable(options.table ?? 'strata_audit');
    const chain = options.chain ?? 'default';
    const { pool, owned } = connect(options, options.logger);
    try {
      await query(pool, table, createTableSql(table), []);
      const verification = await verifyRows(pool, table, chain, {});
      if (!verification.ok) {
        throw new StrataError(
          'INTERNAL',
          `The audit chain "${chain}" in table ${table} is damaged, so Strata will not extend it: ${verification.reason}. Keep the rows as evidence and write to another chain or table.`,
          { details: { table, chain, ...verification } },
        );
      }
      const head = { seq: verification.lastSeq, hash: verification.lastHash };
      return new PostgresAuditSink(pool, owned, table, chain, head);
    } catch (error) {
      if (owned) await pool.end();
      throw error;
    }
  }

  async record(entry: AuditEntry): Promise<void> {
    if (this.#closed) {
      throw new StrataError('SHUTTING_DOWN', `The audit table ${this.table} is closed.`);
    }
    checkEntry(entry);
    return new Promise((resolve, reject) => {
      this.#pending.push({ entry, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#draining !== undefined) await this.#draining;
    if (this.ownsPool) await this.pool.end();
  }

  /** One multi-row INSERT per batch: atomic, so a failed batch leaves the chain as it was. */
  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, batchLimit);
        try {
          // After a failure the rows may have been committed anyway (a lost reply): re-read the end.
          this.#head ??= await this.#readHead();
          const records: AuditRecord[] = [];
          let head = this.#head;
          const now = new Date();
          for (const { entry } of batch) records.push((head = chainRecord(head, entry, now)));
          await query(
            this.pool,
            this.table,
            insertSql(this.table, records.length),
            rowValues(this.chain, records),
          );
          this.#head = { seq: head.seq, hash: head.hash };
          for (const pending of batch) pending.resolve();
        } catch (error) {
          this.#head = undefined;
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }

  async #readHead(): Promise<ChainHead> {
    const { rows } = await query<{ seq: string; hash: string }>(
      this.pool,
      this.table,
      `SELECT seq, hash FROM ${this.table} WHERE chain = $1 ORDER BY seq DESC LIMIT 1`,
      [this.chain],
    );
    const last = rows[0];
    return last === undefined ? { seq: 0, hash: '0'.repeat(64) } : { seq: Number(last.seq), hash: last.hash };
  }
}

/** `verifyAuditFile` for a table: the same checks on the chain's rows in seq order. */
export async function verifyAuditTable(
  options: PostgresAuditOptions & VerifyOptions & { readonly logger?: Logger },
): Promise<AuditVerification> {
  const table = quoteTable(options.table ?? 'strata_audit');
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

async function verifyRows(
  pool: pg.Pool,
  table: string,
  chain: string,
  options: VerifyOptions,
): Promise<AuditVerification> {
  const verifier = new ChainVerifier(options.anchor);
  // Keyset pages: a long chain is never held in memory at once.
  for (let after = 0; ;) {
    const { rows } = await query<Row>(
      pool,
      table,
      `SELECT ${columns} FROM ${table} WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT ${batchLimit}`,
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

function rowValues(chain: string, records: readonly AuditRecord[]): unknown[] {
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

function insertSql(table: string, rows: number): string {
  const width = 12;
  const tuples = Array.from(
    { length: rows },
    (_, row) =>
      `(${Array.from({ length: width }, (_, column) => `$${String(row * width + column + 1)}`).join(', ')})`,
  );
  return `INSERT INTO ${table} (chain, ${columns}) VALUES ${tuples.join(', ')}`;
}

function createTableSql(table: string): string {
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

function quoteTable(name: string): string {
  if (!identifier.test(name)) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `The audit table name "${name}" is not a plain SQL identifier; use letters, digits and _ (optionally schema.table).`,
      { details: { table: name } },
    );
  }
  return name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

function connect(
  connection: PostgresConnection,
  logger: Logger | undefined,
): { pool: pg.Pool; owned: boolean } {
  if ('pool' in connection) return { pool: connection.pool, owned: false };
  const pool = new pg.Pool({ connectionString: connection.connectionString, connectionTimeoutMillis: 5000 });
  // An idle connection that dies emits here; the next query reports the failure to its caller.
  pool.on('error', (error) => {
    logger?.warn({ err: error }, 'audit table: an idle PostgreSQL connection failed');
  });
  return { pool, owned: true };
}

async function query<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  table: string,
  sql: string,
  values: unknown[],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(sql, values);
  } catch (error) {
    if (isStrataError(error)) throw error;
    const code = (error as { code?: unknown }).code;
    if (code === '42P01') {
      throw new StrataError('NOT_FOUND', `There is no audit table ${table}; check the table name.`, {
        cause: error,
      });
    }
    throw new StrataError(
      'UNAVAILABLE',
      `The audit table ${table} could not be read or written: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
