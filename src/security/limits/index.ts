// Rate limits and quotas (ARCHITECTURE.md §7): token buckets and daily counters, embedded or in
// Redis, and what a transport sends when one refuses.
export type {
  QuotaCounter,
  QuotaDecision,
  QuotaRule,
  RateDecision,
  RateLimiter,
  RateRule,
} from './limits.js';
export { MemoryRateLimiter, type MemoryRateLimiterOptions } from './memory-rate-limiter.js';
export { MemoryQuotaCounter, type MemoryQuotaCounterOptions } from './memory-quota-counter.js';
export { RedisRateLimiter } from './redis-rate-limiter.js';
export { RedisQuotaCounter } from './redis-quota-counter.js';
export type { RedisBackendOptions, RedisClient } from './redis-script.js';
export { setRateLimitHeaders, rateLimitedError } from './headers.js';
export { FailedAuthentications, peerAddress } from './failed-authentications.js';
