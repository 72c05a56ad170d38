/**
 * The Redis backends against the real Redis (STRATA_BACKENDS_REDIS_URL, as the configuration
 * loader reads it): the conformance suites, failures, key expiry, and three processes sharing
 * one bucket.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { after, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { backendUrls, connectRedis } from '../../../test/support/backends.js';
import { isStrataError } from '../../kernel/index.js';
import { quotaCounterConformance, rateLimiterConformance } from './conformance.js';
import { RedisQuotaCounter } from './redis-quota-counter.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';

const redisUrl = backendUrls().redis;
/** Every key this run writes starts with this; after() deletes them. */
const runPrefix = `strata-test:limits:${randomUUID()}:`;
let tests = 0;

const connect = (t: TestContext): Promise<Redis | undefined> => connectRedis(t, redisUrl);

after(async () => {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    for await (const keys of client.scanStream({ match: `${runPrefix}*`, count: 1000 }) as AsyncIterable<
      string[]
    >) {
      if (keys.length > 0) await client.del(...keys);
    }
  } catch {
    // Redis was not there to write to either: nothing to clean up.
  } finally {
    client.disconnect();
  }
});

rateLimiterConformance('RedisRateLimiter', async (t) => {
  const client = await connect(t);
  if (client === undefined) return undefined;
  return {
    limiter: new RedisRateLimiter(client, { keyPrefix: `${runPrefix}${++tests}:` }),
    elapse: (ms) => sleep(ms),
    exactClock: false,
    close: async () => {
      await client.quit();
    },
  };
});

quotaCounterConformance('RedisQuotaCounter', async (t) => {
  const client = await connect(t);
  if (client === undefined) return undefined;
  const keyPrefix = `${runPrefix}${++tests}:`;
  return {
    counter: new RedisQuotaCounter(client, { keyPrefix }),
    now: Date.now,
    // The stored count is a hash {day, used} (redis-quota-counter.ts); dating it a day earlier is
    // what Redis sees once its TIME has passed midnight.
    nextDay: async (key) => {
      const day = Number(await client.hget(keyPrefix + key, 'day'));
      await client.hset(keyPrefix + key, 'day', day - 1);
    },
    close: async () => {
      await client.quit();
    },
  };
});

describe('Redis limits', () => {
  const rule = { ratePerSecond: 0.001, burst: 50 };

  it('lets idle keys expire: a bucket when full again, a count at UTC midnight', async (t) => {
    const client = await connect(t);
    if (client === undefined) return;
    try {
      const prefix = `${runPrefix}expiry:`;
      await new RedisRateLimiter(client, { keyPrefix: prefix }).take(
        'bucket',
        { ratePerSecond: 10, burst: 5 },
        3,
      );
      const bucketTtl = await client.pttl(`${prefix}bucket`);
      assert.ok(
        bucketTtl > 250 && bucketTtl <= 300,
        `three tokens at 10/s refill in 300 ms, TTL ${bucketTtl}`,
      );
      const decision = await new RedisQuotaCounter(client, { keyPrefix: prefix }).consume('count', {
        limit: 5,
        period: 'day',
      });
      const countTtl = await client.pttl(`${prefix}count`);
      assert.ok(
        Math.abs(countTtl / 1000 - decision.resetSeconds) <= 1,
        `TTL ${countTtl} ms, reset ${decision.resetSeconds} s`,
      );
    } finally {
      await client.quit();
    }
  });

  it('sends the script again when Redis has forgotten it', async (t) => {
    const client = await connect(t);
    if (client === undefined) return;
    try {
      const limiter = new RedisRateLimiter(client, { keyPrefix: `${runPrefix}noscript:` });
      assert.equal((await limiter.take('k', rule)).remaining, 49);
      await client.script('FLUSH');
      assert.equal((await limiter.take('k', rule)).remaining, 48);
    } finally {
      await client.quit();
    }
  });

  it('rejects with UNAVAILABLE naming Redis when it refuses the connection', async () => {
    const client = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    try {
      await unavailable(new RedisRateLimiter(client).take('k', rule), /Redis failed a rate-limit take/);
      await unavailable(
        new RedisQuotaCounter(client).consume('k', { limit: 1, period: 'day' }),
        /Redis failed a quota update/,
      );
    } finally {
      client.disconnect();
    }
  });

  it('rejects with UNAVAILABLE after timeoutMs while the client waits to reconnect', async () => {
    const client = new Redis('redis://127.0.0.1:1', { retryStrategy: () => 50 });
    client.on('error', () => undefined);
    try {
      const started = performance.now();
      await unavailable(
        new RedisRateLimiter(client, { timeoutMs: 200 }).take('k', rule),
        /no answer within 200 ms/,
      );
      assert.ok(performance.now() - started < 1000);
    } finally {
      client.disconnect();
    }
  });

  it('admits exactly the burst across three processes sharing one bucket', async (t) => {
    const client = await connect(t);
    if (client === undefined) return;
    await client.quit();
    const child = fileURLToPath(new URL('redis-limit-child.js', import.meta.url));
    const args = [
      child,
      redisUrl,
      `${runPrefix}processes:`,
      'shared',
      String(rule.burst),
      String(rule.ratePerSecond),
      '40',
    ];
    const processes = Array.from({ length: 3 }, () =>
      spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    const outputs = processes.map((p) => createInterface({ input: p.stdout })[Symbol.asyncIterator]());
    try {
      for (const output of outputs) assert.equal((await output.next()).value, 'ready');
      for (const p of processes) p.stdin.write('go\n');
      const admitted = await Promise.all(
        outputs.map(
          async (output) =>
            (JSON.parse(String((await output.next()).value)) as { admitted: number }).admitted,
        ),
      );
      assert.equal(
        admitted.reduce((sum, n) => sum + n, 0),
        rule.burst,
        `admitted per process: ${admitted.join(', ')}`,
      );
    } finally {
      for (const p of processes) p.kill();
    }
  });
});

async function unavailable(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isStrataError(error));
    assert.equal(error.code, 'UNAVAILABLE');
    assert.match(error.message, message);
    assert.ok(error.cause !== undefined, 'the Redis error is kept as the cause');
    return true;
  });
}
