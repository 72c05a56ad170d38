import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rateLimitedError, setRateLimitHeaders } from './headers.js';
import { MemoryQuotaCounter } from './memory-quota-counter.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';

const noon = Date.UTC(2025, 0, 15, 12);

/** The header fields setRateLimitHeaders sets, by name. */
function rateLimitHeaders(decision: Parameters<typeof setRateLimitHeaders>[0]): Record<string, string> {
  const headers: Record<string, string> = {};
  setRateLimitHeaders(decision, {
    setHeader: (name, value) => {
      headers[name] = value;
    },
  });
  return headers;
}

describe('setRateLimitHeaders', () => {
  it('sends limit, remaining and whole seconds to reset, without Retry-After when allowed', async () => {
    const limiter = new MemoryRateLimiter({ now: () => 0 });
    const decision = await limiter.take('k', { ratePerSecond: 4, burst: 10 }, 3);
    assert.deepEqual(rateLimitHeaders(decision), {
      'ratelimit-limit': '10',
      'ratelimit-remaining': '7',
      'ratelimit-reset': '1',
    });
  });

  it('adds Retry-After, rounded up, when a take is refused', async () => {
    const limiter = new MemoryRateLimiter({ now: () => 0 });
    const rule = { ratePerSecond: 0.4, burst: 2 };
    await limiter.take('k', rule, 2);
    assert.deepEqual(rateLimitHeaders(await limiter.take('k', rule)), {
      'ratelimit-limit': '2',
      'ratelimit-remaining': '0',
      'ratelimit-reset': '5',
      'retry-after': '3',
    });
  });

  it('sends a refused quota back at midnight UTC', async () => {
    const counter = new MemoryQuotaCounter({ now: () => noon });
    const rule = { limit: 3, period: 'day' } as const;
    await counter.consume('k', rule, 3);
    assert.deepEqual(rateLimitHeaders(await counter.consume('k', rule)), {
      'ratelimit-limit': '3',
      'ratelimit-remaining': '0',
      'ratelimit-reset': '43200',
      'retry-after': '43200',
    });
  });
});

describe('rateLimitedError', () => {
  it('is RATE_LIMITED naming the limit, with retryAfterSeconds for the gateway', async () => {
    const limiter = new MemoryRateLimiter({ now: () => 0 });
    const rule = { ratePerSecond: 0.5, burst: 1 };
    await limiter.take('k', rule);
    const error = rateLimitedError(await limiter.take('k', rule), "API key 'ab12'");
    assert.equal(error.code, 'RATE_LIMITED');
    assert.equal(error.retryable, true);
    assert.equal(
      error.message,
      "Too many requests for API key 'ab12': at most 1 at once, refilled over time; retry after 2 s.",
    );
    assert.deepEqual(error.details, { limit: 1, remaining: 0, resetSeconds: 2, retryAfterSeconds: 2 });
  });

  it('names the daily quota, what is used and when it starts again', async () => {
    const counter = new MemoryQuotaCounter({ now: () => noon });
    const rule = { limit: 100, period: 'day' } as const;
    await counter.consume('k', rule, 98);
    const error = rateLimitedError(await counter.consume('k', rule, 5), "tenant 'acme' inference items");
    assert.equal(error.code, 'RATE_LIMITED');
    assert.match(error.message, /daily quota of tenant 'acme' inference items is used up \(98 of 100\)/);
    assert.match(error.message, /00:00 UTC, in 43200 s/);
    assert.deepEqual(error.details, {
      limit: 100,
      remaining: 2,
      resetSeconds: 43_200,
      retryAfterSeconds: 43_200,
      used: 98,
      period: 'day',
    });
  });
});
