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

/**
 * Token buckets in this process's memory, for a single replica or limits that need not be
 * shared (use RedisRateLimiter across replicas). A bucket is one number, its TAT (gcra.ts); a
 * full bucket is the same as no bucket, so memory holds only keys that spent tokens within the
 * last refill period. Those are found by a sweep that runs when the map has doubled since the
 * last one (amortised O(1) per take), and by the maxKeys bound.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #now: () => number;
  readonly #maxKeys: number;
  /** TAT in microseconds by key, least recently used first (a take re-inserts its key). */
  readonly #tats = new Map<string, number>();
  #sweepAt = minSweepSize;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  /** Buckets held now (for metrics and tests). */
  get size(): number {
    return this.#tats.size;
  }

  async take(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    return this.takeNow(key, rule, cost);
  }

  /** `take` without a promise: the in-memory bucket answers at once. */
  takeNow(key: string, rule: RateRule, cost = 1): RateDecision {
    validateTake(key, rule, cost);
    const now = this.#now() * 1000;
    const step = gcra(now, this.#tats.get(key), rule, cost);
    this.#tats.delete(key);
    this.#tats.set(key, step.tat);
    if (this.#tats.size >= this.#sweepAt || this.#tats.size > this.#maxKeys) this.#sweep(now);
    return step.decision;
  }

  #sweep(now: number): void {
    for (const [key, tat] of this.#tats) if (tat <= now) this.#tats.delete(key);
    for (const key of this.#tats.keys()) {
      if (this.#tats.size <= this.#maxKeys) break;
      this.#tats.delete(key);
    }
    this.#sweepAt = Math.max(minSweepSize, 2 * this.#tats.size);
  }
}

const minSweepSize = 1024;
