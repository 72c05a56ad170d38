import type { Identity } from './identity.js';

/** Verified keys remembered at most; beyond, the memory starts over. */
const maxVerified = 10_000;

/**
 * Keys verified before, by their full text, with the identity they prove and until when (epoch
 * ms): a repeat request skips the lookup and the hash and shares one identity object. A store
 * empties it on each change it makes itself; `maxAgeMs` bounds how long a change made elsewhere
 * (another replica) can go unseen.
 */
export class VerifiedKeys {
  #verified = new Map<string, { readonly identity: Identity; readonly until: number }>();

  constructor(private readonly maxAgeMs = Infinity) {}

  get(key: string, now: number): Identity | undefined {
    const known = this.#verified.get(key);
    if (known === undefined) return undefined;
    if (now < known.until) return known.identity;
    this.#verified.delete(key);
    return undefined;
  }

  /** Remembers `identity` until `until`, or `maxAgeMs` from `now` if that comes first. */
  set(key: string, identity: Identity, until: number, now: number): void {
    if (this.#verified.size >= maxVerified) this.#verified.clear();
    this.#verified.set(key, { identity, until: Math.min(until, now + this.maxAgeMs) });
  }

  clear(): void {
    this.#verified.clear();
  }
}
