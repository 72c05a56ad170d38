import type { QuotaCounter, QuotaDecision, QuotaRule } from './limits.js';
import { utcDay } from './utc-day.js';
import { validateConsume } from './validate.js';

export interface MemoryQuotaCounterOptions {
  /** Wall-clock epoch milliseconds (default `Date.now()`); days are UTC days of this clock. */
  readonly now?: () => number;
}

/**
 * Daily counters in this process's memory. Only today's counts are kept: the first consume of a
 * new UTC day drops every count of the previous one, so memory is bounded by the keys seen in
 * one day.
 */
export class MemoryQuotaCounter implements QuotaCounter {
  readonly #now: () => number;
  #day = Number.NaN;
  #used = new Map<string, number>();

  constructor(options: MemoryQuotaCounterOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async consume(key: string, rule: QuotaRule, amount = 1): Promise<QuotaDecision> {
    return this.consumeNow(key, rule, amount);
  }

  /** `consume` without a promise: the in-memory count answers at once. */
  consumeNow(key: string, rule: QuotaRule, amount = 1): QuotaDecision {
    validateConsume(key, rule, amount);
    const { day, millisLeft } = utcDay(this.#now());
    if (day !== this.#day) {
      this.#day = day;
      this.#used = new Map();
    }
    const before = this.#used.get(key) ?? 0;
    const allowed = before + amount <= rule.limit;
    const used = allowed ? before + amount : before;
    if (allowed && amount > 0) this.#used.set(key, used);
    return {
      allowed,
      used,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - used),
      resetSeconds: millisLeft / 1000,
    };
  }
}
