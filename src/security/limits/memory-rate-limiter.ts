import { gcra } from './gcra.js';
import type { RateDecision, RateLimiter, RateRule } from './limits.js';
import { validateTake } from './validate.js';

export interface MemoryRateLimiterOptions {
  /** Milliseconds on a clock that does not jump (default `performance.now()`); tests inject their own. */
  readonly now?: () => number;
  /**
   * The most buckets kept (default 100,000). Full buckets are dropped first; past this, the least
   * recently used buckets are dropped too, which forgets what those keys spent (they get a full
   * bucket again). Size it above the number of keys active within one refill period.
   */
  readonly maxKeys?: number;
}

/** A key's bucket: its TAT, and when it was last taken from (a count of takes, for the LRU bound). */
interface Bucket {
  tat: number;
  used: number;
}

/**
 * Token buckets in this process's memory, for a single replica or limits that need not be
 * shared (use RedisRateLimiter across replicas). A bucket is one number, its TAT (gcra.ts); a
 * full bucket is the same as no bucket, so memory holds only keys that spent tokens within the
 * last refill period. Those are found by a sweep that runs when the map has doubled since the
 * last one (amortised O(1) per take), and by the maxKeys bound. A take updates its bucket in
 * place and stamps it with a running count; only a sweep over maxKeys orders buckets by that
 * stamp, so the common take changes no map.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #now: () => number;
  readonly #maxKeys: number;
  /** Buckets by key; TATs in microseconds. */
  readonly #buckets = new Map<string, Bucket>();
  #takes = 0;
  #sweepAt = minSweepSize;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  /** Buckets held now (for metrics and tests). */
  get size(): number {
    return this.#buckets.size;
  }

  async take(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    return this.takeNow(key, rule, cost);
  }

  /** `take` without a promise: the in-memory bucket answers at once. */
  takeNow(key: string, rule: RateRule, cost = 1): RateDecision {
    validateTake(key, rule, cost);
    const now = this.#now() * 1000;
    const bucket = this.#buckets.get(key);
    const step = gcra(now, bucket?.tat, rule, cost);
    if (bucket !== undefined) {
      bucket.tat = step.tat;
      bucket.used = ++this.#takes;
    } else {
      this.#buckets.set(key, { tat: step.tat, used: ++this.#takes });
    }
    const size = this.#buckets.size;
    if (size >= this.#sweepAt || size > this.#maxKeys) this.#sweep(now);
    return step.decision;
  }

  #sweep(now: number): void {
    const buckets = this.#buckets;
    for (const [key, bucket] of buckets) if (bucket.tat <= now) buckets.delete(key);
    if (buckets.size > this.#maxKeys) {
      const byUse = [...buckets].sort(([, a], [, b]) => a.used - b.used);
      for (const [key] of byUse.slice(0, buckets.size - this.#maxKeys)) buckets.delete(key);
    }
    this.#sweepAt = Math.max(minSweepSize, 2 * buckets.size);
  }
}

const minSweepSize = 1024;
