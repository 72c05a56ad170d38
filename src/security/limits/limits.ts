// The rate-limit and quota interfaces every backend implements (ARCHITECTURE.md §7). Each
// backend is embedded (memory) or shared across processes (Redis); callers see only these.

/** A token bucket: `burst` tokens at most, refilled at `ratePerSecond`. */
export interface RateRule {
  /** Tokens added per second; a positive finite number (0.5 = one every two seconds). */
  readonly ratePerSecond: number;
  /** The bucket's size, the most a client can spend at once; a positive integer. */
  readonly burst: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** The bucket's size (the rule's burst): RateLimit-Limit. */
  readonly limit: number;
  /** Whole tokens left after this take (or, when refused, left untouched): RateLimit-Remaining. */
  readonly remaining: number;
  /** Seconds until the bucket is full again if nothing more is taken: RateLimit-Reset. */
  readonly resetSeconds: number;
  /** When refused, seconds until `cost` tokens are there: Retry-After. 0 when allowed. */
  readonly retryAfterSeconds: number;
}

/**
 * Token buckets by key ("key:ab12", "tenant:acme", "route:inference:acme" ...). A refused take
 * spends nothing. Rejects with CONFIG_INVALID for a malformed rule, INVALID_ARGUMENT for a cost
 * the bucket can never hold, and UNAVAILABLE when a shared backend cannot be reached: the
 * caller chooses whether that refuses the request (fail closed) or lets it pass (fail open).
 */
export interface RateLimiter {
  /** Takes `cost` tokens (default 1; a positive number no larger than the burst). */
  take(key: string, rule: RateRule, cost?: number): Promise<RateDecision>;
}

/** A count that starts again at every UTC midnight. */
export interface QuotaRule {
  /** The most that may be consumed per period; a positive integer. */
  readonly limit: number;
  readonly period: 'day';
}

export interface QuotaDecision {
  readonly allowed: boolean;
  /** Consumed this period, including this amount when allowed. */
  readonly used: number;
  readonly limit: number;
  /** `limit - used` (0 if the limit was lowered below what is used). */
  readonly remaining: number;
  /** Seconds until the period ends (the next UTC midnight), when the count starts again at 0. */
  readonly resetSeconds: number;
}

/**
 * Per-period counters by key (requests per day, inference items per day). A refused consume
 * counts nothing, so a client that keeps being refused does not push its own reset further out.
 * `amount` 0 reads the count without changing it. Rejects like RateLimiter.take.
 */
export interface QuotaCounter {
  consume(key: string, rule: QuotaRule, amount?: number): Promise<QuotaDecision>;
}
