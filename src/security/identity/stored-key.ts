import { StrataError, isTenantId } from '../../kernel/index.js';
import { hashKey, sameHash, type ApiKeyRecord, type CreateApiKey, type RotateOptions } from './api-key.js';
import { scopeProblem } from './authorizer.js';
import { unauthenticated, type Identity } from './identity.js';

// The rules every ApiKeyStore applies, whatever holds its keys (a file, a PostgreSQL table):
// what a valid request is, and when a presented key proves an identity.

/** A key as a store keeps it: the record, the hash of its secret, and a rotation's previous hash. */
export interface StoredKey extends ApiKeyRecord {
  readonly hash: string;
  /** The secret a rotation with a grace period replaced, valid until `previousValidUntil`. */
  readonly previousHash?: string;
  readonly previousValidUntil?: string;
}

export function toRecord(stored: StoredKey): ApiKeyRecord {
  const { hash: _hash, previousHash: _previous, previousValidUntil: _until, ...record } = stored;
  return record;
}

/** A key proves this identity until `until` (epoch ms; Infinity when nothing ends it). */
export interface Verified {
  readonly identity: Identity;
  readonly until: number;
}

const rejected =
  'The API key is not valid; check that it was copied whole, or ask an administrator for a new one.';

/** UNAUTHENTICATED `malformed`: the key does not have the shape `strata_<id>_<secret>`. */
export function malformedKey(): StrataError {
  return unauthenticated(rejected, 'malformed');
}

/**
 * Checks `key` (whose id is `id`) against what the store holds for that id, on the store's clock.
 * A wrong secret for a real id reads as unknown: the caller learns nothing about which ids exist.
 */
export function verifyStored(stored: StoredKey | undefined, key: string, id: string, now: Date): Verified {
  const hash = hashKey(key);
  const matches =
    stored !== undefined &&
    (sameHash(hash, stored.hash) ||
      (stored.previousHash !== undefined &&
        stored.previousValidUntil !== undefined &&
        now < new Date(stored.previousValidUntil) &&
        sameHash(hash, stored.previousHash)));
  if (!matches) throw unauthenticated(rejected, 'unknown', { keyId: id });
  if (stored.revokedAt !== undefined) throw unauthenticated(rejected, 'revoked', { keyId: id });
  if (stored.expiresAt !== undefined && now >= new Date(stored.expiresAt)) {
    throw unauthenticated(rejected, 'expired', { keyId: id });
  }
  const identity: Identity = {
    subject: `api-key:${id}`,
    tenant: stored.tenant,
    roles: stored.roles,
    ...(stored.scopes === undefined ? {} : { scopes: stored.scopes }),
    via: 'api-key',
  };
  // Valid until the key expires, or the previous secret's grace period ends if that matched.
  const viaPrevious = !sameHash(hash, stored.hash);
  const ends = [stored.expiresAt, viaPrevious ? stored.previousValidUntil : undefined]
    .filter((at): at is string => at !== undefined)
    .map((at) => new Date(at).getTime());
  return { identity, until: Math.min(Infinity, ...ends) };
}

/** Throws INVALID_ARGUMENT naming every problem of a create request. */
export function checkCreate(request: CreateApiKey, now: Date): void {
  const problems: string[] = [];
  if (!isTenantId(request.tenant)) problems.push("tenant must be 1 to 64 letters, digits, '_' or '-'");
  if (request.name.trim() === '') problems.push('name must not be empty');
  if (request.roles.some((role) => role.trim() === '')) problems.push('roles must not contain an empty name');
  for (const scope of request.scopes ?? []) {
    const problem = scopeProblem(scope);
    if (problem !== undefined) problems.push(problem);
  }
  if (request.expiresAt !== undefined && !(request.expiresAt > now)) {
    problems.push('expiresAt must be a valid date in the future');
  }
  if (problems.length > 0) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot create the API key: ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
}

/** The new stored key a create request describes, with `hash` the hash of its issued key. */
export function newStoredKey(id: string, request: CreateApiKey, hash: string, now: Date): StoredKey {
  return {
    id,
    tenant: request.tenant,
    name: request.name,
    roles: [...request.roles],
    ...(request.scopes === undefined ? {} : { scopes: [...request.scopes] }),
    createdAt: now.toISOString(),
    ...(request.expiresAt === undefined ? {} : { expiresAt: request.expiresAt.toISOString() }),
    hash,
  };
}

/** The grace period a rotation asks for, in seconds; throws INVALID_ARGUMENT for a bad one. */
export function gracePeriodSeconds(options: RotateOptions): number {
  const grace = options.gracePeriodSeconds ?? 0;
  if (!Number.isFinite(grace) || grace < 0) {
    throw new StrataError('INVALID_ARGUMENT', 'gracePeriodSeconds must be a number of seconds, 0 or more.', {
      details: { gracePeriodSeconds: grace },
    });
  }
  return grace;
}

export function noSuchKey(id: string): StrataError {
  return new StrataError('NOT_FOUND', `No API key with id ${id}; list the keys to see their ids.`, {
    details: { id },
  });
}

export function revokedCannotRotate(id: string): StrataError {
  return new StrataError(
    'INVALID_ARGUMENT',
    `API key ${id} is revoked and cannot be rotated; create a new key.`,
    { details: { id } },
  );
}
