import type { QuotaCounter, QuotaDecision, QuotaRule } from './limits.js';
import { RedisScript, replyStrings, type RedisBackendOptions, type RedisClient } from './redis-script.js';
import { validateConsume } from './validate.js';

// One key per counter holding the UTC day it counts and the count, expiring at that day's end.
// The day comes from Redis TIME, so replicas agree on when it changes. The day is stored rather
// than put in the key name so that the script touches only the key it is given (KEYS[1]), as
// Redis Cluster requires; a count from an earlier day is treated as 0 even if not yet expired.
const consumeScript = `
local limit = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
local time = redis.call('TIME')
local seconds = tonumber(time[1])
local day = math.floor(seconds / 86400)
local millisLeft = ((day + 1) * 86400 - seconds) * 1000 - math.floor(tonumber(time[2]) / 1000)
local stored = redis.call('HMGET', KEYS[1], 'day', 'used')
local used = 0
if tonumber(stored[1]) == day then used = tonumber(stored[2]) or 0 end
if used + amount > limit then
  return {0, used, millisLeft}
end
used = used + amount
if amount > 0 then
  redis.call('HSET', KEYS[1], 'day', day, 'used', used)
  redis.call('EXPIREAT', KEYS[1], (day + 1) * 86400)
end
return {1, used, millisLeft}
`;

const purpose = 'a quota update';

/**
 * Daily counters in Redis, shared by every process using the same Redis and key prefix. Fails
 * like RedisRateLimiter: UNAVAILABLE, and the caller chooses to fail open or closed.
 */
export class RedisQuotaCounter implements QuotaCounter {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #script = new RedisScript(consumeScript, purpose);

  constructor(client: RedisClient, options: RedisBackendOptions = {}) {
    this.#client = client;
    this.#prefix = options.keyPrefix ?? 'strata:quota:';
    this.#timeoutMs = options.timeoutMs ?? 1000;
  }

  async consume(key: string, rule: QuotaRule, amount = 1): Promise<QuotaDecision> {
    validateConsume(key, rule, amount);
    const reply = await this.#script.run(
      this.#client,
      this.#timeoutMs,
      [this.#prefix + key],
      [String(rule.limit), String(amount)],
    );
    const [allowed, used, millisLeft] = replyStrings(reply, 3, purpose).map(Number) as [
      number,
      number,
      number,
    ];
    return {
      allowed: allowed === 1,
      used,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - used),
      resetSeconds: millisLeft / 1000,
    };
  }
}
