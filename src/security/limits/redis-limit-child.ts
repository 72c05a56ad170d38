// One of several processes that share a Redis bucket in redis.test.ts. It is a separate program
// so that the processes really are separate: own event loop, own connection, own clock.
//
//   node redis-limit-child.js <redis url> <key prefix> <key> <burst> <ratePerSecond> <takes>
//
// It prints "ready" once connected, waits for a line on stdin (so all processes start together),
// fires all its takes at once and prints {"admitted": n}.
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { RedisRateLimiter } from './redis-rate-limiter.js';

const [url, keyPrefix, key, burst, ratePerSecond, takes] = process.argv.slice(2);
if (url === undefined || keyPrefix === undefined || key === undefined || takes === undefined) {
  throw new Error('usage: redis-limit-child <url> <prefix> <key> <burst> <rate> <takes>');
}

const client = new Redis(url, { maxRetriesPerRequest: 0 });
const limiter = new RedisRateLimiter(client, { keyPrefix, timeoutMs: 5000 });
const rule = { ratePerSecond: Number(ratePerSecond), burst: Number(burst) };
// A take on a key of its own loads the script and opens the connection before the start signal.
await limiter.take(`${key}:warm-up:${process.pid}`, rule);
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
await once(lines, 'line');
lines.close();
const decisions = await Promise.all(Array.from({ length: Number(takes) }, () => limiter.take(key, rule)));
process.stdout.write(`${JSON.stringify({ admitted: decisions.filter((d) => d.allowed).length })}\n`);
await client.quit();
