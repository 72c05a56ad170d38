import { createHash } from 'node:crypto';
import { StrataError } from '../../kernel/index.js';

/**
 * The audit record format (docs/audit-log.md). One record per line of JSON, keys in this order:
 *
 *   {"seq":1,"time":"2025-01-01T00:00:00.000Z","prev":"000…0","actor":"key:ops","tenant":"acme",
 *    "action":"collection.create","resource":"collections/docs","outcome":"success",
 *    "requestId":"req-1","details":{…},"hash":"…"}
 *
 * `hash` is the SHA-256 (hex) of the canonical serialisation of the record without `hash`:
 * `JSON.stringify` of an object holding the other fields in the order above (`details` only when
 * present), with the keys of every object inside `details` sorted. `prev` is the previous record's
 * `hash`, 64 zeros for the first. Sorting `details` makes the hash independent of how a store
 * orders keys (PostgreSQL's jsonb reorders them), so the file and the table verify the same way.
 */
export interface AuditEntry {
  /** Who acted: an API key id, a user, or `system`. */
  readonly actor: string;
  readonly tenant: string;
  /** What was done, e.g. `collection.create`, `apikey.revoke`, `auth.login`. */
  readonly action: string;
  /** What it was done to, e.g. `collections/docs`. */
  readonly resource: string;
  /** `denied`: refused by authentication or authorisation; `failure`: allowed but failed. */
  readonly outcome: AuditOutcome;
  readonly requestId: string;
  /** Further facts; a JSON object. Never put secrets here: the log is kept, copied and shipped. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export const auditOutcomes = ['success', 'denied', 'failure'] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];

/** An entry as stored: its position in the chain, when it was recorded, and the chain's hashes. */
export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  readonly time: string;
  readonly prev: string;
  readonly hash: string;
}

/** The end of a chain: what a new record links to, and what an operator anchors elsewhere. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export const genesisHash = '0'.repeat(64);
export const emptyChain: ChainHead = { seq: 0, hash: genesisHash };

/** Where audit records go. Records are stored in the order of the `record` calls. */
export interface AuditLog {
  /** Resolves once the record is stored as durably as the log promises; rejects if it is not. */
  record(entry: AuditEntry): Promise<void>;
  /** Stores what was accepted, then releases the log; later `record` calls reject. */
  close(): Promise<void>;
}

/** Appends `entry` to the chain ending at `head`. */
export function chainRecord(head: ChainHead, entry: AuditEntry, time: Date): AuditRecord {
  const unsigned = {
    seq: head.seq + 1,
    time: time.toISOString(),
    prev: head.hash,
    actor: entry.actor,
    tenant: entry.tenant,
    action: entry.action,
    resource: entry.resource,
    outcome: entry.outcome,
    requestId: entry.requestId,
    ...(entry.details === undefined ? {} : { details: normaliseDetails(entry.details) }),
  };
  return { ...unsigned, hash: recordHash(unsigned) };
}

/** The hash a record must carry: SHA-256 of its canonical serialisation without `hash`. */
export function recordHash(record: Omit<AuditRecord, 'hash'>): string {
  const canonical = JSON.stringify({
    seq: record.seq,
    time: record.time,
    prev: record.prev,
    actor: record.actor,
    tenant: record.tenant,
    action: record.action,
    resource: record.resource,
    outcome: record.outcome,
    requestId: record.requestId,
    ...(record.details === undefined ? {} : { details: sortKeys(record.details) }),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** The JSON line a record is stored as, hash last. */
export function serialiseRecord(record: AuditRecord): string {
  const { hash, ...unsigned } = record;
  return JSON.stringify({ ...unsigned, hash });
}

/** Rejects entries that could not be stored or verified, before they take a sequence number. */
export function checkEntry(entry: AuditEntry): void {
  for (const field of ['actor', 'tenant', 'action', 'resource', 'requestId'] as const) {
    if (typeof entry[field] !== 'string') {
      throw new StrataError('INVALID_ARGUMENT', `An audit entry's ${field} must be a string.`, {
        details: { field },
      });
    }
  }
  if (!(auditOutcomes as readonly unknown[]).includes(entry.outcome)) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `An audit entry's outcome must be one of ${auditOutcomes.join(', ')}.`,
      {
        details: { field: 'outcome', value: entry.outcome },
      },
    );
  }
  if (entry.details !== undefined) normaliseDetails(entry.details);
}

/**
 * `details` as it reads back from JSON (Dates become strings, undefined members disappear), so the
 * hash computed now is the hash verified later. Anything JSON cannot carry is refused.
 */
function normaliseDetails(details: Readonly<Record<string, unknown>>): Record<string, unknown> {
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(details)) as unknown;
  } catch (error) {
    throw new StrataError('INVALID_ARGUMENT', "An audit entry's details must be serialisable as JSON.", {
      cause: error,
    });
  }
  if (!isJsonObject(copy)) {
    throw new StrataError('INVALID_ARGUMENT', "An audit entry's details must be a JSON object.");
  }
  return copy;
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isJsonObject(value)) return value;
  // fromEntries defines own properties, so a "__proto__" key stays data instead of a prototype.
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}
