import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Identity } from './identity.js';

/** What a listing shows of an API key: never its hash, never its secret. */
export interface ApiKeyRecord {
  /** The public part of the key (`strata_<id>_...`), shown in listings and logs. */
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly scopes?: readonly string[];
  /** ISO 8601 timestamps. */
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly rotatedAt?: string;
  readonly revokedAt?: string;
}

export interface CreateApiKey {
  readonly tenant: string;
  readonly name: string;
  readonly roles: readonly string[];
  /** Narrow the roles further (see Authorizer); omit for the roles alone. */
  readonly scopes?: readonly string[];
  readonly expiresAt?: Date;
}

export interface RotateOptions {
  /**
   * How long the previous secret keeps working, so clients can be switched over without an outage.
   * Default 0: the old secret stops at once. Only the secret just replaced gets a grace period: a
   * second rotation ends the first one's.
   */
  readonly gracePeriodSeconds?: number;
}

/** A new key: `key` is the only time the plaintext exists outside the caller; show it once. */
export interface IssuedApiKey {
  readonly key: string;
  readonly record: ApiKeyRecord;
}

/** Where API keys live. Every method that changes a key is durable when its promise resolves. */
export interface ApiKeyStore {
  create(request: CreateApiKey): Promise<IssuedApiKey>;
  /**
   * Creates the key only if the store holds none at all, revoked ones included; undefined if it
   * held one. Atomic: of several callers at once, processes sharing the store included, one wins.
   */
  createFirst(request: CreateApiKey): Promise<IssuedApiKey | undefined>;
  list(tenant?: string): Promise<ApiKeyRecord[]>;
  /** @throws StrataError NOT_FOUND */
  get(id: string): Promise<ApiKeyRecord>;
  /** Idempotent. @throws StrataError NOT_FOUND */
  revoke(id: string): Promise<ApiKeyRecord>;
  /** A new secret for the same key (same id, roles, expiry). @throws StrataError NOT_FOUND, INVALID_ARGUMENT if revoked */
  rotate(id: string, options?: RotateOptions): Promise<IssuedApiKey>;
  /** @throws StrataError UNAUTHENTICATED with details.reason malformed, unknown, revoked or expired */
  verify(key: string): Promise<Identity>;
  /**
   * The identity of a key verified before and still remembered, without waiting; undefined when
   * only `verify` can tell. The gateway's fast path: most requests repeat a key.
   */
  remembered(key: string): Identity | undefined;
}

/**
 * Crockford's base32 alphabet, lowercase: no i, l, o or u, so an id read aloud or off a log line
 * cannot be mistaken for another. 32 symbols, so each takes exactly 5 bits of a random byte.
 */
const idAlphabet = '0123456789abcdefghjkmnpqrstvwxyz';
const idLength = 12;
const secretBytes = 32;
const keyPattern = /^strata_([0-9a-hjkmnp-tv-z]{12})_([A-Za-z0-9_-]{43})$/;

export function newKeyId(): string {
  const bytes = randomBytes(idLength);
  let id = '';
  for (const byte of bytes) id += idAlphabet.charAt(byte & 31);
  return id;
}

/** A fresh key for `id`: 60 bits of id (public) and 256 bits of secret. */
export function newKey(id: string): string {
  return `strata_${id}_${randomBytes(secretBytes).toString('base64url')}`;
}

/** The id of a well-formed key, or undefined: a key that fails this is never looked up. */
export function parseKeyId(key: string): string | undefined {
  return keyPattern.exec(key)?.[1];
}

/**
 * SHA-256 of the whole key, hex. A slow password hash (scrypt, argon2) defends low-entropy
 * secrets against guessing after the store leaks; these secrets are 256 random bits, beyond any
 * guessing, so a fast hash is as safe and keeps verification off the request's critical path.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Constant-time comparison of two hex SHA-256 digests. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === 32 && right.length === 32 && timingSafeEqual(left, right);
}
