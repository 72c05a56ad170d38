// The behaviour every RateLimiter and QuotaCounter shares (STYLE.md §4), run by memory.test.ts
// and redis.test.ts. A backend on a fake clock is checked to the microsecond; one on a real clock
// (Redis TIME) within a tolerance, with rules chosen so that a slow machine cannot change a count.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { harnessTest, type HarnessFactory } from '../conformance-harness.js';
import { isStrataError, type ErrorCode } from '../../kernel/index.js';
import type { QuotaCounter, RateLimiter } from './limits.js';
import { utcDay } from './utc-day.js';

export interface RateHarness {
  readonly limiter: RateLimiter;
  /** Lets `ms` pass: a fake clock moves exactly that far, a real one sleeps at least that long. */
  readonly elapse: (ms: number) => Promise<void>;
  /** Whether elapse() is exact, so that times can be checked exactly. */
  readonly exactClock: boolean;
  close?(): Promise<void>;
}

export interface QuotaHarness {
  readonly counter: QuotaCounter;
  /** Epoch milliseconds on the counter's clock. */
  readonly now: () => number;
  /** Makes `key`'s count belong to the previous UTC day, as if midnight had passed. */
  readonly nextDay: (key: string) => Promise<void>;
  close?(): Promise<void>;
}

/** Slow enough that no token comes back during a test: one per 1000 s. */
const frozen = 0.001;

export function rateLimiterConformance(name: string, create: HarnessFactory<RateHarness>): void {
  const test = harnessTest(create);

  describe(`RateLimiter conformance: ${name}`, () => {
    test('admits a full burst at once, counting down, then refuses', async ({ limiter }) => {
      const rule = { ratePerSecond: frozen, burst: 5 };
      for (const remaining of [4, 3, 2, 1, 0]) {
        const decision = await limiter.take('burst', rule);
        assert.deepEqual([decision.allowed, decision.limit, decision.remaining], [true, 5, remaining]);
        assert.equal(decision.retryAfterSeconds, 0);
      }
      const refused = await limiter.take('burst', rule);
      assert.deepEqual([refused.allowed, refused.limit, refused.remaining], [false, 5, 0]);
      near(refused.retryAfterSeconds, 1000, 1, 'one token takes 1000 s');
      near(refused.resetSeconds, 5000, 1, 'five tokens take 5000 s');
    });

    test('spends nothing on a refused take', async ({ limiter }) => {
      const rule = { ratePerSecond: frozen, burst: 3 };
      assert.equal((await limiter.take('refused', rule, 2)).remaining, 1);
      const refused = await limiter.take('refused', rule, 2);
      assert.deepEqual([refused.allowed, refused.remaining], [false, 1]);
      near(refused.retryAfterSeconds, 1000, 1, 'one token short');
      const last = await limiter.take('refused', rule);
      assert.deepEqual([last.allowed, last.remaining], [true, 0]);
    });

    test('takes `cost` tokens at once and waits for all of them', async ({ limiter }) => {
      const rule = { ratePerSecond: frozen, burst: 10 };
      assert.equal((await limiter.take('cost', rule, 4)).remaining, 6);
      const refused = await limiter.take('cost', rule, 9);
      assert.equal(refused.allowed, false);
      near(refused.retryAfterSeconds, 3000, 1, 'three tokens short');
      const rest = await limiter.take('cost', rule, 6);
      assert.deepEqual([rest.allowed, rest.remaining], [true, 0]);
    });

    test('refills at the rule rate, never beyond the burst', async ({ limiter, elapse, exactClock }) => {
      const rule = { ratePerSecond: 10, burst: 2 };
      await limiter.take('refill', rule, 2);
      const refused = await limiter.take('refill', rule);
      assert.equal(refused.allowed, false);
      near(refused.retryAfterSeconds, 0.1, exactClock ? 0 : 0.05, 'one token per 100 ms');
      await elapse(150);
      const refilled = await limiter.take('refill', rule);
      assert.equal(refilled.allowed, true, 'a token came back after 150 ms');
      if (exactClock) assert.deepEqual([refilled.remaining, refilled.resetSeconds], [0, 0.15]);
      await elapse(500);
      const full = await limiter.take('refill', rule);
      assert.deepEqual([full.allowed, full.remaining], [true, 1], 'five tokens refilled, two kept');
      assert.equal(full.resetSeconds, 0.1);
    });

    test('reports the seconds until the bucket is full again', async ({ limiter, exactClock }) => {
      const rule = { ratePerSecond: 2, burst: 10 };
      const first = await limiter.take('reset', rule);
      assert.deepEqual([first.remaining, first.resetSeconds], [9, 0.5]);
      const more = await limiter.take('reset', rule, 3);
      assert.equal(more.remaining, 6);
      near(more.resetSeconds, 2, exactClock ? 0 : 0.1, 'four tokens at two per second');
    });

    test('counts whole tokens exactly at fractional rates', async ({ limiter }) => {
      const rule = { ratePerSecond: 1 / 3, burst: 50 };
      for (let taken = 1; taken <= 7; taken++)
        assert.equal((await limiter.take('thirds', rule)).remaining, 50 - taken);
    });

    test('keeps keys apart', async ({ limiter }) => {
      const rule = { ratePerSecond: frozen, burst: 1 };
      assert.equal((await limiter.take('a', rule)).allowed, true);
      assert.equal((await limiter.take('a', rule)).allowed, false);
      assert.equal((await limiter.take('b', rule)).allowed, true);
    });

    test('admits exactly the burst from concurrent takes', async ({ limiter }) => {
      const rule = { ratePerSecond: frozen, burst: 25 };
      const decisions = await Promise.all(Array.from({ length: 60 }, () => limiter.take('concurrent', rule)));
      assert.equal(decisions.filter((d) => d.allowed).length, 25);
      assert.deepEqual(
        decisions
          .filter((d) => d.allowed)
          .map((d) => d.remaining)
          .sort((a, b) => a - b),
        Array.from({ length: 25 }, (_, i) => i),
      );
    });

    test('rejects malformed rules, costs and keys, naming what to change', async ({ limiter }) => {
      const ok = { ratePerSecond: 1, burst: 5 };
      await rejects(limiter.take('k', { ratePerSecond: 0, burst: 5 }), 'CONFIG_INVALID', /ratePerSecond/);
      await rejects(
        limiter.take('k', { ratePerSecond: Infinity, burst: 5 }),
        'CONFIG_INVALID',
        /ratePerSecond/,
      );
      await rejects(
        limiter.take('k', { ratePerSecond: Number.NaN, burst: 5 }),
        'CONFIG_INVALID',
        /ratePerSecond/,
      );
      await rejects(limiter.take('k', { ratePerSecond: 1, burst: 0 }), 'CONFIG_INVALID', /burst/);
      await rejects(limiter.take('k', { ratePerSecond: 1, burst: 2.5 }), 'CONFIG_INVALID', /burst/);
      await rejects(limiter.take('k', ok, 0), 'INVALID_ARGUMENT', /cost/);
      await rejects(limiter.take('k', ok, -1), 'INVALID_ARGUMENT', /cost/);
      await rejects(limiter.take('k', ok, 6), 'INVALID_ARGUMENT', /split it into requests of at most 5/);
      await rejects(limiter.take('', ok), 'INVALID_ARGUMENT', /key/);
    });
  });
}

export function quotaCounterConformance(name: string, create: HarnessFactory<QuotaHarness>): void {
  const test = harnessTest(create);
  const daily = (limit: number) => ({ limit, period: 'day' }) as const;

  describe(`QuotaCounter conformance: ${name}`, () => {
    test('counts up to the limit and counts nothing it refuses', async ({ counter }) => {
      const rule = daily(10);
      const summary = async (amount: number) => {
        const d = await counter.consume('q', rule, amount);
        return [d.allowed, d.used, d.remaining, d.limit];
      };
      assert.deepEqual(await summary(7), [true, 7, 3, 10]);
      assert.deepEqual(await summary(4), [false, 7, 3, 10]);
      assert.deepEqual(await summary(3), [true, 10, 0, 10]);
      assert.deepEqual(await summary(1), [false, 10, 0, 10]);
    });

    test('consumes 1 by default, and 0 reads the count', async ({ counter }) => {
      const rule = daily(5);
      assert.equal((await counter.consume('one', rule)).used, 1);
      assert.equal((await counter.consume('one', rule)).used, 2);
      const read = await counter.consume('one', rule, 0);
      assert.deepEqual([read.allowed, read.used], [true, 2]);
      assert.equal((await counter.consume('one', rule)).used, 3);
    });

    test('resets at the next UTC midnight', async ({ counter, now }) => {
      const decision = await counter.consume('midnight', daily(3));
      const expected = utcDay(now()).millisLeft / 1000;
      near(decision.resetSeconds, expected, 2, 'seconds to 00:00 UTC');
      assert.ok(decision.resetSeconds > 0 && decision.resetSeconds <= 86_400);
    });

    test('starts again at 0 on a new day', async ({ counter, nextDay }) => {
      const rule = daily(4);
      await counter.consume('rollover', rule, 4);
      assert.equal((await counter.consume('rollover', rule)).allowed, false);
      await nextDay('rollover');
      const fresh = await counter.consume('rollover', rule, 3);
      assert.deepEqual([fresh.allowed, fresh.used, fresh.remaining], [true, 3, 1]);
    });

    test('keeps keys apart', async ({ counter }) => {
      const rule = daily(1);
      assert.equal((await counter.consume('a', rule)).allowed, true);
      assert.equal((await counter.consume('a', rule)).allowed, false);
      assert.equal((await counter.consume('b', rule)).allowed, true);
    });

    test('admits exactly the limit from concurrent consumes', async ({ counter }) => {
      const rule = daily(15);
      const decisions = await Promise.all(
        Array.from({ length: 40 }, () => counter.consume('concurrent', rule)),
      );
      assert.equal(decisions.filter((d) => d.allowed).length, 15);
      assert.equal((await counter.consume('concurrent', rule, 0)).used, 15);
    });

    test('rejects malformed rules, amounts and keys, naming what to change', async ({ counter }) => {
      await rejects(counter.consume('k', daily(0)), 'CONFIG_INVALID', /limit/);
      await rejects(counter.consume('k', daily(1.5)), 'CONFIG_INVALID', /limit/);
      await rejects(
        counter.consume('k', { limit: 5, period: 'week' as 'day' }),
        'CONFIG_INVALID',
        /period must be 'day'/,
      );
      await rejects(counter.consume('k', daily(5), -1), 'INVALID_ARGUMENT', /amount/);
      await rejects(counter.consume('k', daily(5), 0.5), 'INVALID_ARGUMENT', /amount/);
      await rejects(
        counter.consume('k', daily(5), 6),
        'INVALID_ARGUMENT',
        /split it into requests of at most 5/,
      );
      await rejects(counter.consume('', daily(5)), 'INVALID_ARGUMENT', /key/);
    });
  });
}

function near(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: expected ${expected} ± ${tolerance}, got ${actual}`,
  );
}

async function rejects(promise: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isStrataError(error), `expected a StrataError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}
