import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StrataError, isTenantId } from '../../kernel/index.js';
import {
  hashKey,
  newKey,
  newKeyId,
  parseKeyId,
  sameHash,
  type ApiKeyRecord,
  type ApiKeyStore,
  type CreateApiKey,
  type IssuedApiKey,
  type RotateOptions,
} from './api-key.js';
import { load, toRecord, writeAtomically, type StoredKey } from './api-key-file.js';
import { scopeProblem } from './authorizer.js';
import { unauthenticated, type Identity } from './identity.js';

export interface FileApiKeyStoreOptions {
  /** The clock for expiry and grace periods; tests pass their own. */
  readonly now?: () => Date;
}

const rejected =
  'The API key is not valid; check that it was copied whole, or ask an administrator for a new one.';

/**
 * API keys in one JSON file, `api-keys.json` in the given directory, readable by this user only
 * (0600). Each change rewrites the whole file atomically (temp file, fsync, rename, fsync of the
 * directory) and changes are serialised, so a crash leaves either the old or the new set of keys
 * and concurrent calls never lose each other's writes. Verification reads memory, never the file.
 * One process owns the file: a second process writing the same directory would overwrite changes
 * it has not read.
 */
/** Verified keys remembered at most; beyond, the memory starts over. */
const maxVerified = 10_000;

export class FileApiKeyStore implements ApiKeyStore {
  static readonly fileName = 'api-keys.json';

  #keys: ReadonlyMap<string, StoredKey>;
  #queue: Promise<unknown> = Promise.resolve();
  /**
   * Keys verified before, by their full text, with the identity they prove and until when (ms):
   * a repeat request skips parsing and hashing and shares one identity object. Every change of
   * the keys empties it, so a revoked or rotated key fails on its next request.
   */
  #verified = new Map<string, { readonly identity: Identity; readonly until: number }>();

  private constructor(
    readonly directory: string,
    keys: ReadonlyMap<string, StoredKey>,
    private readonly now: () => Date,
  ) {
    this.#keys = keys;
  }

  get path(): string {
    return join(this.directory, FileApiKeyStore.fileName);
  }

  static async open(directory: string, options: FileApiKeyStoreOptions = {}): Promise<FileApiKeyStore> {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const keys = await load(join(directory, FileApiKeyStore.fileName));
    return new FileApiKeyStore(directory, keys, options.now ?? (() => new Date()));
  }

  async create(request: CreateApiKey): Promise<IssuedApiKey> {
    validateCreate(request, this.now());
    return this.#change((keys) => {
      let id = newKeyId();
      while (keys.has(id)) id = newKeyId();
      const key = newKey(id);
      const stored: StoredKey = {
        id,
        tenant: request.tenant,
        name: request.name,
        roles: [...request.roles],
        ...(request.scopes === undefined ? {} : { scopes: [...request.scopes] }),
        createdAt: this.now().toISOString(),
        ...(request.expiresAt === undefined ? {} : { expiresAt: request.expiresAt.toISOString() }),
        hash: hashKey(key),
      };
      keys.set(id, stored);
      return { key, record: toRecord(stored) };
    });
  }

  async list(tenant?: string): Promise<ApiKeyRecord[]> {
    return [...this.#keys.values()]
      .filter((key) => tenant === undefined || key.tenant === tenant)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
      .map(toRecord);
  }

  async get(id: string): Promise<ApiKeyRecord> {
    return toRecord(this.#find(this.#keys, id));
  }

  async revoke(id: string): Promise<ApiKeyRecord> {
    return this.#change((keys) => {
      const current = this.#find(keys, id);
      if (current.revokedAt !== undefined) return toRecord(current);
      const { previousHash: _hash, previousValidUntil: _until, ...rest } = current;
      const revoked: StoredKey = { ...rest, revokedAt: this.now().toISOString() };
      keys.set(id, revoked);
      return toRecord(revoked);
    });
  }

  async rotate(id: string, options: RotateOptions = {}): Promise<IssuedApiKey> {
    const grace = options.gracePeriodSeconds ?? 0;
    if (!Number.isFinite(grace) || grace < 0) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        'gracePeriodSeconds must be a number of seconds, 0 or more.',
        {
          details: { gracePeriodSeconds: grace },
        },
      );
    }
    return this.#change((keys) => {
      const current = this.#find(keys, id);
      if (current.revokedAt !== undefined) {
        throw new StrataError(
          'INVALID_ARGUMENT',
          `API key ${id} is revoked and cannot be rotated; create a new key.`,
          {
            details: { id },
          },
        );
      }
      const now = this.now();
      const key = newKey(id);
      const { previousHash: _hash, previousValidUntil: _until, ...rest } = current;
      const rotated: StoredKey = {
        ...rest,
        hash: hashKey(key),
        rotatedAt: now.toISOString(),
        ...(grace > 0
          ? {
              previousHash: current.hash,
              previousValidUntil: new Date(now.getTime() + grace * 1000).toISOString(),
            }
          : {}),
      };
      keys.set(id, rotated);
      return { key, record: toRecord(rotated) };
    });
  }

  async verify(key: string): Promise<Identity> {
    const known = this.#verified.get(key);
    if (known !== undefined) {
      if (this.now().getTime() < known.until) return known.identity;
      this.#verified.delete(key);
    }
    const id = parseKeyId(key);
    if (id === undefined) throw unauthenticated(rejected, 'malformed');
    const stored = this.#keys.get(id);
    const hash = hashKey(key);
    const now = this.now();
    const matches =
      stored !== undefined &&
      (sameHash(hash, stored.hash) ||
        (stored.previousHash !== undefined &&
          stored.previousValidUntil !== undefined &&
          now < new Date(stored.previousValidUntil) &&
          sameHash(hash, stored.previousHash)));
    // A wrong secret for a real id reads as unknown: the caller learns nothing about which ids exist.
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
    if (this.#verified.size >= maxVerified) this.#verified.clear();
    this.#verified.set(key, { identity, until: Math.min(Infinity, ...ends) });
    return identity;
  }

  /** Applies `change` to a copy of the keys, writes it, and only then makes it the store's state. */
  #change<T>(change: (keys: Map<string, StoredKey>) => T): Promise<T> {
    const next = this.#queue.then(async () => {
      const keys = new Map(this.#keys);
      const result = change(keys);
      await writeAtomically(this.path, { version: 1, keys: [...keys.values()] });
      this.#keys = keys;
      this.#verified.clear();
      return result;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #find(keys: ReadonlyMap<string, StoredKey>, id: string): StoredKey {
    const key = keys.get(id);
    if (key === undefined) {
      throw new StrataError('NOT_FOUND', `No API key with id ${id}; list the keys to see their ids.`, {
        details: { id },
      });
    }
    return key;
  }
}

function validateCreate(request: CreateApiKey, now: Date): void {
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
