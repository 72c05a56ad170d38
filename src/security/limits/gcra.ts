import type { RateDecision, RateRule } from './limits.js';

/**
 * The token bucket kept as one number, its theoretical arrival time (TAT): the moment, in
 * microseconds, at which the bucket will be full again (GCRA, ITU-T I.371 — the "virtual
 * scheduling" form). Equivalent to a token bucket of `burst` tokens refilled at `ratePerSecond`:
 * at time `now` the bucket holds `burst - max(0, tat - now) / interval` tokens. One number per
 * key means one GET and one SET in Redis, and a bucket whose TAT has passed is simply full, so
 * it can be forgotten (memory) or left to expire (Redis).
 *
 * The Redis script repeats the admission test (redis-rate-limiter.ts); both sides use the same
 * double arithmetic in the same order, so the numbers below agree with its verdict.
 */
export interface GcraStep {
  readonly decision: RateDecision;
  /** The TAT to store: advanced by the cost when allowed, unchanged (but not in the past) when refused. */
  readonly tat: number;
}

export const microsPerSecond = 1_000_000;

/** Microseconds per token. */
export function emissionInterval(rule: RateRule): number {
  return microsPerSecond / rule.ratePerSecond;
}

// Floating division can land a hair below a whole number of tokens (49.999999999 for 50);
// this slack keeps such a count whole without ever adding a token that is not there.
const wholeTokenSlack = 1e-9;

export function gcra(now: number, storedTat: number | undefined, rule: RateRule, cost: number): GcraStep {
  const interval = emissionInterval(rule);
  const capacity = rule.burst * interval;
  const start = storedTat === undefined || storedTat < now ? now : storedTat;
  const after = start + cost * interval;
  const allowed = after - now <= capacity;
  const tat = allowed ? after : start;
  const fill = tat - now;
  return {
    tat,
    decision: {
      allowed,
      limit: rule.burst,
      remaining: Math.max(0, Math.floor((capacity - fill) / interval + wholeTokenSlack)),
      resetSeconds: fill / microsPerSecond,
      retryAfterSeconds: allowed ? 0 : (after - now - capacity) / microsPerSecond,
    },
  };
}
