import pg from 'pg';
import { StrataError, isStrataError, type Logger } from '../kernel/index.js';

// What the security context's PostgreSQL tables (the audit log, the API keys) share: a pool,
// checked table names, errors that name the table, and creating a table once across replicas.

/** A pool the caller owns (left open by `close`), or a connection string for a pool of our own. */
export type PostgresConnection = { readonly pool: pg.Pool } | { readonly connectionString: string };

/** A table name Strata accepts: `name` or `schema.name`, plain identifiers only (no quoting games). */
export const tableNamePattern = '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?$';
const tableName = new RegExp(tableNamePattern);

/** `name` or `schema.name`, quoted for SQL; `kind` says which table it is in the error ("audit"). */
export function quoteTable(name: string, kind: string): string {
  if (!tableName.test(name)) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `The ${kind} table name "${name}" is not a plain SQL identifier; use letters, digits and _ (optionally schema.table).`,
      { details: { table: name } },
    );
  }
  return name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

export function connect(
  connection: PostgresConnection,
  logger: Logger | undefined,
): { pool: pg.Pool; owned: boolean } {
  if ('pool' in connection) return { pool: connection.pool, owned: false };
  const pool = new pg.Pool({ connectionString: connection.connectionString, connectionTimeoutMillis: 5000 });
  // An idle connection that dies emits here; the next query reports the failure to its caller.
  pool.on('error', (error) => {
    logger?.warn({ err: error }, 'an idle PostgreSQL connection failed');
  });
  return { pool, owned: true };
}

/** A table and how errors name it: `{ sql: '"strata_audit"', label: 'audit table "strata_audit"' }`. */
export interface Table {
  readonly sql: string;
  readonly label: string;
}

export function table(name: string, kind: string): Table {
  const sql = quoteTable(name, kind);
  return { sql, label: `${kind} table ${sql}` };
}

/** Runs one statement on `client` (a pool or a transaction's client), errors as StrataErrors naming the table. */
export async function query<R extends pg.QueryResultRow>(
  client: pg.Pool | pg.PoolClient,
  target: Table,
  sql: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    return await client.query<R>(sql, values);
  } catch (error) {
    throw queryError(error, target);
  }
}

/** `body` inside BEGIN … COMMIT on one connection; ROLLBACK when it throws. */
export async function transaction<T>(
  pool: pg.Pool,
  target: Table,
  body: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw queryError(error, target);
  }
  try {
    await query(client, target, 'BEGIN');
    const result = await body(client);
    await query(client, target, 'COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * `CREATE TABLE IF NOT EXISTS` is not safe against itself: two replicas starting together can both
 * find the table missing and one fails on the catalog's unique index. A transaction-scoped
 * advisory lock on the table's name makes the creations take turns.
 */
export async function createTableOnce(pool: pg.Pool, target: Table, createSql: string): Promise<void> {
  await transaction(pool, target, async (client) => {
    await query(client, target, 'SELECT pg_advisory_xact_lock(hashtext($1))', [`strata:${target.sql}`]);
    await query(client, target, createSql);
  });
}

function queryError(error: unknown, target: Table): StrataError {
  if (isStrataError(error)) return error;
  const code = (error as { code?: unknown }).code;
  if (code === '42P01') {
    return new StrataError('NOT_FOUND', `There is no ${target.label}; check the table name.`, {
      cause: error,
    });
  }
  return new StrataError(
    'UNAVAILABLE',
    `The ${target.label} could not be read or written: ${(error as Error).message}`,
    { cause: error },
  );
}
