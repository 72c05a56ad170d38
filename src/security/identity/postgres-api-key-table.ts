import { table, type Table } from '../postgres.js';
import type { StoredKey } from './stored-key.js';

// The SQL side of PostgresApiKeyStore: the table and its rows. One row per key, the same fields
// as the key file (identity/api-key-file.ts), timestamps as timestamptz.

export const defaultKeyTable = 'strata_api_keys';

export function keyTable(name = defaultKeyTable): Table {
  return table(name, 'API key');
}

export function createTableSql(table: Table): string {
  return `CREATE TABLE IF NOT EXISTS ${table.sql} (
    id text PRIMARY KEY,
    tenant text NOT NULL,
    name text NOT NULL,
    roles text[] NOT NULL,
    scopes text[],
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    rotated_at timestamptz,
    revoked_at timestamptz,
    hash text NOT NULL,
    previous_hash text,
    previous_valid_until timestamptz
  )`;
}

export const columns =
  'id, tenant, name, roles, scopes, created_at, expires_at, rotated_at, revoked_at, hash, previous_hash, previous_valid_until';

export interface KeyRow {
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  readonly roles: string[];
  readonly scopes: string[] | null;
  readonly created_at: Date;
  readonly expires_at: Date | null;
  readonly rotated_at: Date | null;
  readonly revoked_at: Date | null;
  readonly hash: string;
  readonly previous_hash: string | null;
  readonly previous_valid_until: Date | null;
}

/** The INSERT of a new key, `$1` … `$8` as `insertValues` orders them. */
export function insertSql(table: Table): string {
  return `INSERT INTO ${table.sql} (id, tenant, name, roles, scopes, created_at, expires_at, hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`;
}

export function insertValues(key: StoredKey): unknown[] {
  return [
    key.id,
    key.tenant,
    key.name,
    key.roles,
    key.scopes ?? null,
    key.createdAt,
    key.expiresAt ?? null,
    key.hash,
  ];
}

export function fromRow(row: KeyRow): StoredKey {
  return {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    roles: row.roles,
    ...(row.scopes === null ? {} : { scopes: row.scopes }),
    createdAt: row.created_at.toISOString(),
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at.toISOString() }),
    ...(row.rotated_at === null ? {} : { rotatedAt: row.rotated_at.toISOString() }),
    ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at.toISOString() }),
    hash: row.hash,
    ...(row.previous_hash === null ? {} : { previousHash: row.previous_hash }),
    ...(row.previous_valid_until === null
      ? {}
      : { previousValidUntil: row.previous_valid_until.toISOString() }),
  };
}
