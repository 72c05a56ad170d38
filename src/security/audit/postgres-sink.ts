import type pg from 'pg';
import { StrataError, type Logger } from '../../kernel/index.js';
import { connect, createTableOnce, query, type Table } from '../postgres.js';
import {
  auditTable,
  batchLimit,
  createTableSql,
  insertSql,
  rowValues,
  verifyRows,
  type PostgresAuditOptions,
} from './postgres-table.js';
import {
  chainRecord,
  emptyChain,
  checkEntry,
  type AuditEntry,
  type AuditLog,
  type AuditRecord,
  type ChainHead,
} from './record.js';
import { GroupCommit } from './group-commit.js';

/**
 * The audit log as rows of a PostgreSQL table, one chain per `chain` value with `seq` as its key,
 * the same records and hashes as the file format. Grant Strata's role INSERT and SELECT only:
 * the chain detects an UPDATE or DELETE, the grant prevents it.
 */
export class PostgresAuditSink implements AuditLog {
  #head: ChainHead | undefined;
  readonly #commits = new GroupCommit<AuditEntry>((entries) => this.#insert(entries), batchLimit);
  #closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    private readonly table: Table,
    readonly chain: string,
    head: ChainHead,
  ) {
    this.#head = head;
  }

  /** Creates the table if missing and resumes the chain; a damaged chain is not extended. */
  static async open(options: PostgresAuditOptions & { readonly logger: Logger }): Promise<PostgresAuditSink> {
    const table = auditTable(options.table);
    const chain = options.chain ?? 'default';
    const { pool, owned } = connect(options, options.logger);
    try {
      await createTableOnce(pool, table, createTableSql(table.sql));
      const verification = await verifyRows(pool, table, chain, {});
      if (!verification.ok) {
        throw new StrataError(
          'INTERNAL',
          `The audit chain "${chain}" in ${table.label} is damaged, so Strata will not extend it: ${verification.reason}. Keep the rows as evidence and write to another chain or table.`,
          { details: { table: table.sql, chain, ...verification } },
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
      throw new StrataError('SHUTTING_DOWN', `The ${this.table.label} is closed.`);
    }
    checkEntry(entry);
    return this.#commits.add(entry);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#commits.idle();
    if (this.ownsPool) await this.pool.end();
  }

  /** One multi-row INSERT per batch: atomic, so a failed batch leaves the chain as it was. */
  async #insert(entries: readonly AuditEntry[]): Promise<void> {
    try {
      // After a failure the rows may have been committed anyway (a lost reply): re-read the end.
      this.#head ??= await this.#readHead();
      const records: AuditRecord[] = [];
      let head = this.#head;
      const now = new Date();
      for (const entry of entries) records.push((head = chainRecord(head, entry, now)));
      await query(
        this.pool,
        this.table,
        insertSql(this.table.sql, records.length),
        rowValues(this.chain, records),
      );
      this.#head = { seq: head.seq, hash: head.hash };
    } catch (error) {
      this.#head = undefined;
      throw error;
    }
  }

  async #readHead(): Promise<ChainHead> {
    const { rows } = await query<{ seq: string; hash: string }>(
      this.pool,
      this.table,
      `SELECT seq, hash FROM ${this.table.sql} WHERE chain = $1 ORDER BY seq DESC LIMIT 1`,
      [this.chain],
    );
    const last = rows[0];
    return last === undefined ? emptyChain : { seq: Number(last.seq), hash: last.hash };
  }
}
