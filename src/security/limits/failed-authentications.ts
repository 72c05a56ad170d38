import { StrataError } from '../../kernel/index.js';
import type { RateDecision, RateRule } from './limits.js';

/** Addresses refused at once at most; beyond, the longest-refused are forgotten first. */
const maxRefused = 100_000;

/**
 * Failed authentications counted per client address (docs/decisions/0019). Each failure takes a
 * token from the address's bucket; once a take is refused, the address's credentials are not
 * checked at all until a token is back: `check` refuses them with RATE_LIMITED. So a client that
 * guesses keys or repeats a bad token costs the key store one lookup, and the audit log one
 * record, per token, however fast it sends. Credentials verified before are not checked again
 * (the gateway's remembered keys), so a refused address still serves keys it proved earlier.
 *
 * The buckets live where the rate limits do (memory or Redis); which addresses are refused now is
 * this process's memory, learnt from its own refused takes.
 */
export class FailedAuthentications {
  /** Refused addresses and until when, ms on `now`'s clock; insertion order is refusal order. */
  readonly #refused = new Map<string, number>();

  constructor(
    private readonly take: (key: string, rule: RateRule) => RateDecision | Promise<RateDecision>,
    private readonly rule: RateRule,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Throws RATE_LIMITED while `address` has no failure left to spend. */
  check(address: string): void {
    const until = this.#refused.get(address);
    if (until === undefined) return;
    const left = until - this.now();
    if (left > 0) throw throttled(address, left / 1000);
    this.#refused.delete(address);
  }

  /**
   * Counts one failure of `address`. True when that used up its bucket: its next credentials are
   * refused unchecked until the bucket refills by one.
   */
  async failed(address: string): Promise<boolean> {
    const decision: RateDecision = await this.take(`authfail:${address}`, this.rule);
    if (decision.allowed) return false;
    if (this.#refused.size >= maxRefused) this.#forgetOldest();
    this.#refused.delete(address);
    this.#refused.set(address, this.now() + decision.retryAfterSeconds * 1000);
    return true;
  }

  #forgetOldest(): void {
    const now = this.now();
    for (const [address, until] of this.#refused) if (until <= now) this.#refused.delete(address);
    for (const address of this.#refused.keys()) {
      if (this.#refused.size < maxRefused) break;
      this.#refused.delete(address);
    }
  }
}

function throttled(address: string, seconds: number): StrataError {
  const wait = Math.ceil(seconds);
  return new StrataError(
    'RATE_LIMITED',
    `Too many failed authentications from ${address}: its credentials are not checked for ${wait} s. Fix the API key or token the client sends; keys this server verified before still pass.`,
    { details: { reason: 'failed-authentications', retryAfterSeconds: seconds } },
  );
}

/**
 * The address of a gRPC peer, in the form Node gives an HTTP request's `socket.remoteAddress`, so
 * that one client is one bucket on both. grpc-js gives a TCP peer as `host:port`, an IPv6 host
 * unbracketed (`::1:8080`, itself a valid IPv6 address, so the port cannot be told by parsing):
 * whatever follows the last colon is the port.
 */
export function peerAddress(peer: string): string {
  const colon = peer.lastIndexOf(':');
  if (colon < 0) return peer;
  const host = peer.slice(0, colon);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
