import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { StrataError } from '../../kernel/index.js';

/** The ioredis client the Redis backends run on; the caller owns it (connects, quits). */
export type RedisClient = Redis | Cluster;

export interface RedisBackendOptions {
  /** Prepended to every key this backend writes, so that deployments sharing a Redis stay apart. */
  readonly keyPrefix?: string;
  /**
   * How long one call waits for Redis before rejecting with UNAVAILABLE (default 1000 ms). An
   * ioredis client queues commands while it reconnects; a limiter in the request path should not
   * wait that long. A call that times out may still reach Redis later and count.
   */
  readonly timeoutMs?: number;
}

/** A Lua script run by its SHA-1, sent whole only the first time a server does not know it. */
export class RedisScript {
  readonly #source: string;
  readonly #sha: string;
  readonly #purpose: string;

  /** `purpose` completes "Redis failed …" in error messages ("a rate-limit take"). */
  constructor(source: string, purpose: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
    this.#purpose = purpose;
  }

  async run(
    client: RedisClient,
    timeoutMs: number,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.#evaluate(client, keys, args), timeout]);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new StrataError(
        'UNAVAILABLE',
        `Redis failed ${this.#purpose}: ${reason}. Check that Redis (backends.redis.url) is reachable.`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async #evaluate(client: RedisClient, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await client.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      // A restarted or flushed server has lost its script cache: send the script itself once.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await client.eval(this.#source, keys.length, ...keys, ...args);
    }
  }
}

/** The script's reply as strings, or UNAVAILABLE naming what came back instead. */
export function replyStrings(reply: unknown, length: number, purpose: string): string[] {
  if (Array.isArray(reply) && reply.length === length) return reply.map(String);
  throw new StrataError(
    'UNAVAILABLE',
    `Redis answered ${purpose} with an unexpected reply: ${JSON.stringify(reply)}.`,
  );
}
