// The security context's public surface (ARCHITECTURE.md §2, §7). Everything outside
// src/security imports from here.
export {
  MemoryQuotaCounter,
  MemoryRateLimiter,
  RedisQuotaCounter,
  RedisRateLimiter,
  checkGauge,
  rateLimitHeaders,
  rateLimitedError,
  type GaugeDecision,
  type MemoryQuotaCounterOptions,
  type MemoryRateLimiterOptions,
  type QuotaCounter,
  type QuotaDecision,
  type QuotaRule,
  type RateDecision,
  type RateLimiter,
  type RateRule,
  type RedisBackendOptions,
  type RedisClient,
} from './limits/index.js';
