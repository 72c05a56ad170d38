import { StrataError } from '../../kernel/index.js';
import { emissionInterval, gcra } from './gcra.js';
import type { RateDecision, RateLimiter, RateRule } from './limits.js';
import { RedisScript, replyStrings, type RedisBackendOptions, type RedisClient } from './redis-script.js';
import { validateTake } from './validate.js';

// One GCRA step (gcra.ts) as one script, so that concurrent takes from any number of processes
// are serialised by Redis and none reads a TAT another is about to replace. The clock is Redis
// TIME, not the caller's: replicas with skewed clocks share one timeline. (Scripts that write
// after TIME need effects replication, the default since Redis 5.) A bucket's key expires when
// the bucket is full again, so idle keys cost Redis nothing.
//
// Numbers cross as %.17g strings: Lua's own number-to-string keeps 14 digits, too few for
// microsecond timestamps (16 digits).
const takeScript = `
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then
  tat = tonumber(stored)
  if tat < now then tat = now end
end
local after = tat + cost * interval
if after - now <= burst * interval then
  redis.call('SET', KEYS[1], string.format('%.17g', after), 'PX', math.ceil((after - now) / 1000))
  return {1, string.format('%.17g', now), stored or ''}
end
return {0, string.format('%.17g', now), stored or ''}
`;

const purpose = 'a rate-limit take';

/**
 * Token buckets in Redis, shared by every process that uses the same Redis and key prefix: N
 * replicas together admit what one bucket allows, not N times that. Redis failures reject with
 * UNAVAILABLE (cause attached); whether a request then passes (fail open) or is refused (fail
 * closed) is the caller's choice.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #script = new RedisScript(takeScript, purpose);

  constructor(client: RedisClient, options: RedisBackendOptions = {}) {
    this.#client = client;
    this.#prefix = options.keyPrefix ?? 'strata:rate:';
    this.#timeoutMs = options.timeoutMs ?? 1000;
  }

  async take(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    validateTake(key, rule, cost);
    const reply = await this.#script.run(
      this.#client,
      this.#timeoutMs,
      [this.#prefix + key],
      [String(emissionInterval(rule)), String(rule.burst), String(cost)],
    );
    const [allowed, now, stored] = replyStrings(reply, 3, purpose);
    // The script and gcra() do the same double arithmetic in the same order, so recomputing the
    // step here gives the script's verdict along with the numbers the decision reports.
    const step = gcra(Number(now), stored === '' ? undefined : Number(stored), rule, cost);
    if (step.decision.allowed !== (allowed === '1')) {
      throw new StrataError('INTERNAL', `The Redis rate-limit script and gcra() disagree for '${key}'.`, {
        details: { reply },
      });
    }
    return step.decision;
  }
}
