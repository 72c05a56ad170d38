import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quotaCounterConformance, rateLimiterConformance } from './conformance.js';
import { MemoryQuotaCounter } from './memory-quota-counter.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';

const noon = Date.UTC(2025, 0, 15, 12);

/** A clock that moves only when told. */
function fakeClock(start = noon) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    set: (ms: number) => {
      now = ms;
    },
  };
}

rateLimiterConformance('MemoryRateLimiter', async () => {
  const clock = fakeClock();
  return {
    limiter: new MemoryRateLimiter({ now: clock.now }),
    elapse: async (ms) => {
      clock.advance(ms);
    },
    exactClock: true,
  };
});

quotaCounterConformance('MemoryQuotaCounter', async () => {
  const clock = fakeClock();
  return {
    counter: new MemoryQuotaCounter({ now: clock.now }),
    now: clock.now,
    nextDay: async () => {
      clock.set((Math.floor(clock.now() / 86_400_000) + 1) * 86_400_000);
    },
  };
});

describe('MemoryRateLimiter memory', () => {
  const quick = { ratePerSecond: 1000, burst: 1 };
  const frozen = { ratePerSecond: 0.001, burst: 1 };

  it('drops full buckets once the map has doubled since the last sweep', async () => {
    const clock = fakeClock();
    const limiter = new MemoryRateLimiter({ now: clock.now });
    for (let i = 0; i < 1500; i++) await limiter.take(`old${i}`, quick);
    assert.equal(limiter.size, 1500, 'nothing is full yet, so the sweep at 1024 kept every bucket');
    clock.advance(10);
    for (let i = 0; i < 600; i++) await limiter.take(`new${i}`, quick);
    assert.equal(limiter.size, 600, 'the sweep at 2048 dropped the 1500 refilled buckets');
  });

  it('holds at most maxKeys, dropping full buckets first, then the least recently used', async () => {
    const clock = fakeClock();
    const limiter = new MemoryRateLimiter({ now: clock.now, maxKeys: 3 });
    for (const key of ['a', 'b', 'c']) await limiter.take(key, frozen);
    await limiter.take('a', frozen);
    await limiter.take('d', frozen);
    assert.equal(limiter.size, 3);
    assert.equal((await limiter.take('a', frozen)).allowed, false, 'a was used recently and kept');
    assert.equal(
      (await limiter.take('b', frozen)).allowed,
      true,
      'b was the least recently used and dropped',
    );

    await limiter.take('q', quick);
    clock.advance(10);
    await limiter.take('r', frozen);
    assert.equal(limiter.size, 3, 'the full bucket q went before any spent one');
    assert.equal((await limiter.take('a', frozen)).allowed, false);
  });
});

describe('MemoryQuotaCounter days', () => {
  it('starts again at 00:00 UTC to the millisecond, and forgets the previous day', async () => {
    const midnight = Date.UTC(2025, 0, 16);
    const clock = fakeClock(midnight - 1);
    const counter = new MemoryQuotaCounter({ now: clock.now });
    const rule = { limit: 2, period: 'day' } as const;
    const last = await counter.consume('k', rule, 2);
    assert.deepEqual([last.used, last.resetSeconds], [2, 0.001]);
    clock.advance(1);
    const first = await counter.consume('k', rule, 0);
    assert.deepEqual([first.used, first.resetSeconds], [0, 86_400]);
  });
});
