import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
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
import { load, writeAtomically } from './api-key-file.js';
import type { Identity } from './identity.js';
import {
  checkCreate,
  gracePeriodSeconds,
  malformedKey,
  newStoredKey,
  noSuchKey,
  revokedCannotRotate,
  toRecord,
  verifyStored,
  type StoredKey,
} from './stored-key.js';
import { VerifiedKeys } from './verified-keys.js';

export interface FileApiKeyStoreOptions {
  /** The clock for expiry and grace periods; tests pass their own. */
  readonly now?: () => Date;
}

/**
 * API keys in one JSON file, `api-keys.json` in the given directory, readable by this user only
 * (0600). Each change rewrites the whole file atomically (temp file, fsync, rename, fsync of the
 * directory) and changes are serialised, so a crash leaves either the old or the new set of keys
 * and concurrent calls never lose each other's writes. Verification reads memory, never the file.
 * One process owns the file: a second process writing the same directory would overwrite changes
 * it has not read. Replicas that share keys use PostgresApiKeyStore.
 */
export class FileApiKeyStore implements ApiKeyStore {
  static readonly fileName = 'api-keys.json';

  #keys: ReadonlyMap<string, StoredKey>;
  #queue: Promise<unknown> = Promise.resolve();
  /** Emptied by every change, so a revoked or rotated key fails on its next request. */
  readonly #verified = new VerifiedKeys();

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
    checkCreate(request, this.now());
    return this.#change((keys) => this.#add(keys, request));
  }

  async createFirst(request: CreateApiKey): Promise<IssuedApiKey | undefined> {
    checkCreate(request, this.now());
    // Every start asks; only an empty store needs the (serialised, rechecked) change and its write.
    if (this.#keys.size > 0) return undefined;
    return this.#change((keys) => (keys.size > 0 ? undefined : this.#add(keys, request)));
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
    const grace = gracePeriodSeconds(options);
    return this.#change((keys) => {
      const current = this.#find(keys, id);
      if (current.revokedAt !== undefined) throw revokedCannotRotate(id);
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

  remembered(key: string): Identity | undefined {
    return this.#verified.get(key, this.now().getTime());
  }

  async verify(key: string): Promise<Identity> {
    const now = this.now();
    const known = this.#verified.get(key, now.getTime());
    if (known !== undefined) return known;
    const id = parseKeyId(key);
    if (id === undefined) throw malformedKey();
    const { identity, until } = verifyStored(this.#keys.get(id), key, id, now);
    this.#verified.set(key, identity, until, now.getTime());
    return identity;
  }

  #add(keys: Map<string, StoredKey>, request: CreateApiKey): IssuedApiKey {
    let id = newKeyId();
    while (keys.has(id)) id = newKeyId();
    const key = newKey(id);
    const stored = newStoredKey(id, request, hashKey(key), this.now());
    keys.set(id, stored);
    return { key, record: toRecord(stored) };
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
    if (key === undefined) throw noSuchKey(id);
    return key;
  }
}
