import type pg from 'pg';
import { StrataError, type Logger } from '../../kernel/index.js';
import {
  connect,
  createTableOnce,
  query,
  transaction,
  type PostgresConnection,
  type Table,
} from '../postgres.js';
import {
  hashKey,
  newKey,
  newKeyId,
  parseKeyId,
  type ApiKeyRecord,
  type ApiKeyStore,
  type CreateApiKey,
  type IssuedApiKey,
  type RotateOptions,
} from './api-key.js';
import type { Identity } from './identity.js';
import {
  columns,
  createTableSql,
  fromRow,
  insertSql,
  insertValues,
  keyTable,
  type KeyRow,
} from './postgres-api-key-table.js';
import {
  checkCreate,
  gracePeriodSeconds,
  malformedKey,
  newStoredKey,
  noSuchKey,
  revokedCannotRotate,
  toRecord,
  verifyStored,
} from './stored-key.js';
import { VerifiedKeys } from './verified-keys.js';

export type PostgresApiKeyStoreOptions = PostgresConnection & {
  /** The table, `name` or `schema.name`; created if missing. Default `strata_api_keys`. */
  readonly table?: string;
  /**
   * How long a verified key is trusted without reading its row again, in ms. A revocation or
   * rotation made through another process takes effect here within this time; one made through
   * this store, at once. Default 5000.
   */
  readonly cacheMs?: number;
  /** The clock for creation times, expiry and grace periods; tests pass their own. */
  readonly now?: () => Date;
  readonly logger?: Logger;
};

export const defaultKeyCacheMs = 5000;

/**
 * API keys as rows of a PostgreSQL table that every replica shares: a key created, revoked or
 * rotated through one replica holds in all of them. Each change is one statement (or, for the
 * first key, one transaction), durable when it resolves. Verification reads the key's row by its
 * id and remembers the result for `cacheMs` at most.
 */
export class PostgresApiKeyStore implements ApiKeyStore {
  readonly #verified: VerifiedKeys;
  /** Counts this store's changes: a verification that read a row before one is not remembered. */
  #changes = 0;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    private readonly table: Table,
    cacheMs: number,
    private readonly now: () => Date,
  ) {
    this.#verified = new VerifiedKeys(cacheMs);
  }

  static async open(options: PostgresApiKeyStoreOptions): Promise<PostgresApiKeyStore> {
    const cacheMs = options.cacheMs ?? defaultKeyCacheMs;
    if (!Number.isFinite(cacheMs) || cacheMs < 0) {
      throw new StrataError('INVALID_ARGUMENT', 'cacheMs must be a number of milliseconds, 0 or more.', {
        details: { cacheMs },
      });
    }
    const table = keyTable(options.table);
    const { pool, owned } = connect(options, options.logger);
    try {
      await createTableOnce(pool, table, createTableSql(table));
    } catch (error) {
      if (owned) await pool.end();
      throw error;
    }
    return new PostgresApiKeyStore(pool, owned, table, cacheMs, options.now ?? (() => new Date()));
  }

  /** Ends the pool if the store made it from a connection string; a pool passed in stays open. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }

  async create(request: CreateApiKey): Promise<IssuedApiKey> {
    checkCreate(request, this.now());
    return this.#insert(this.pool, request);
  }

  async createFirst(request: CreateApiKey): Promise<IssuedApiKey | undefined> {
    checkCreate(request, this.now());
    // The lock conflicts with itself and with every INSERT, UPDATE and DELETE on the table: the
    // emptiness seen after it holds until the commit, in every process.
    return transaction(this.pool, this.table, async (client) => {
      await query(client, this.table, `LOCK TABLE ${this.table.sql} IN SHARE ROW EXCLUSIVE MODE`);
      const { rows } = await query<{ any: boolean }>(
        client,
        this.table,
        `SELECT EXISTS (SELECT 1 FROM ${this.table.sql}) AS any`,
      );
      return rows[0]?.any === true ? undefined : this.#insert(client, request);
    });
  }

  async list(tenant?: string): Promise<ApiKeyRecord[]> {
    const where = tenant === undefined ? '' : 'WHERE tenant = $1';
    const { rows } = await query<KeyRow>(
      this.pool,
      this.table,
      // Byte order for the id, as the file store's comparison of ASCII ids.
      `SELECT ${columns} FROM ${this.table.sql} ${where} ORDER BY created_at, id COLLATE "C"`,
      tenant === undefined ? [] : [tenant],
    );
    return rows.map((row) => toRecord(fromRow(row)));
  }

  async get(id: string): Promise<ApiKeyRecord> {
    const row = await this.#row(id);
    if (row === undefined) throw noSuchKey(id);
    return toRecord(fromRow(row));
  }

  async revoke(id: string): Promise<ApiKeyRecord> {
    // Idempotent: a second revocation keeps the first one's time.
    const { rows } = await this.#change<KeyRow>(
      `UPDATE ${this.table.sql}
        SET revoked_at = COALESCE(revoked_at, $2), previous_hash = NULL, previous_valid_until = NULL
        WHERE id = $1 RETURNING ${columns}`,
      [id, this.now().toISOString()],
    );
    const row = rows[0];
    if (row === undefined) throw noSuchKey(id);
    return toRecord(fromRow(row));
  }

  async rotate(id: string, options: RotateOptions = {}): Promise<IssuedApiKey> {
    const grace = gracePeriodSeconds(options);
    const now = this.now();
    const key = newKey(id);
    const previousValidUntil = grace > 0 ? new Date(now.getTime() + grace * 1000).toISOString() : null;
    // SET expressions read the row as it was: `hash` on the right is the secret being replaced.
    const { rows } = await this.#change<KeyRow>(
      `UPDATE ${this.table.sql}
        SET hash = $2, rotated_at = $3,
          previous_hash = CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE hash END,
          previous_valid_until = $4
        WHERE id = $1 AND revoked_at IS NULL RETURNING ${columns}`,
      [id, hashKey(key), now.toISOString(), previousValidUntil],
    );
    const row = rows[0];
    if (row !== undefined) return { key, record: toRecord(fromRow(row)) };
    // Nothing updated: the key is missing (get throws NOT_FOUND) or revoked, which is final.
    await this.get(id);
    throw revokedCannotRotate(id);
  }

  remembered(key: string): Identity | undefined {
    return this.#verified.get(key, this.now().getTime());
  }

  async verify(key: string): Promise<Identity> {
    const now = this.now();
    const known = this.#verified.get(key, now.getTime());
    if (known !== undefined) return known;
    const id = parseKeyId(key);
    if (id === undefined) throw malformedKey();
    const changes = this.#changes;
    const row = await this.#row(id);
    const { identity, until } = verifyStored(row && fromRow(row), key, id, now);
    // `now` was taken before the row was read, so the memory ends at most `cacheMs` after any
    // change the read did not see.
    if (changes === this.#changes) this.#verified.set(key, identity, until, now.getTime());
    return identity;
  }

  async #insert(client: pg.Pool | pg.PoolClient, request: CreateApiKey): Promise<IssuedApiKey> {
    // A 60-bit id rarely collides; when it does, the INSERT does nothing and another id is tried.
    for (;;) {
      const id = newKeyId();
      const key = newKey(id);
      const stored = newStoredKey(id, request, hashKey(key), this.now());
      const { rowCount } = await query(client, this.table, insertSql(this.table), insertValues(stored));
      if (rowCount === 1) return { key, record: toRecord(stored) };
    }
  }

  async #row(id: string): Promise<KeyRow | undefined> {
    const { rows } = await query<KeyRow>(
      this.pool,
      this.table,
      `SELECT ${columns} FROM ${this.table.sql} WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  /** One UPDATE; afterwards this process forgets what it verified, so the change holds here at once. */
  async #change<R extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await query<R>(this.pool, this.table, sql, values);
    } finally {
      this.#changes++;
      this.#verified.clear();
    }
  }
}
