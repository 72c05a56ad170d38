import { StrataError } from '../../kernel/index.js';
import type { QuotaDecision, RateDecision } from './limits.js';

/** Where header fields go: a Node response (`ServerResponse.setHeader`), or anything with the same method. */
export interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

/**
 * Sets the rate-limit header fields of draft-ietf-httpapi-ratelimit-headers (the separate-field
 * form that Kong, GitHub and most gateways send), plus Retry-After (RFC 9110 §10.2.3) when
 * refused. Seconds are rounded up: a client that waits as long as told finds the capacity there.
 * Names are lower case, as HTTP/2 writes them and as Node and Fastify store them (HTTP/1.1 names
 * are case-insensitive): no request pays for lower-casing them. Written straight to the sink, as
 * every secured response carries them.
 */
export function setRateLimitHeaders(decision: RateDecision | QuotaDecision, sink: HeaderSink): void {
  sink.setHeader('ratelimit-limit', String(decision.limit));
  sink.setHeader('ratelimit-remaining', String(decision.remaining));
  sink.setHeader('ratelimit-reset', String(Math.ceil(decision.resetSeconds)));
  if (!decision.allowed) sink.setHeader('retry-after', String(Math.ceil(retryAfter(decision))));
}

/**
 * RATE_LIMITED (429) for a refused decision. `what` names the limit for the client ("API key
 * 'ab12'", "tenant 'acme' inference requests"). `details.retryAfterSeconds` is what the gateway
 * turns into Retry-After (gateway/errors/http.ts), as for OVERLOADED.
 */
export function rateLimitedError(decision: RateDecision | QuotaDecision, what: string): StrataError {
  const wait = Math.ceil(retryAfter(decision));
  const message =
    'used' in decision
      ? `The daily quota of ${what} is used up (${decision.used} of ${decision.limit}); it starts again at 00:00 UTC, in ${wait} s.`
      : `Too many requests for ${what}: at most ${decision.limit} at once, refilled over time; retry after ${wait} s.`;
  return new StrataError('RATE_LIMITED', message, {
    details: {
      limit: decision.limit,
      remaining: decision.remaining,
      resetSeconds: decision.resetSeconds,
      retryAfterSeconds: retryAfter(decision),
      ...('used' in decision ? { used: decision.used, period: 'day' } : {}),
    },
  });
}

/** A refused quota frees up at the end of its period. */
function retryAfter(decision: RateDecision | QuotaDecision): number {
  return 'used' in decision ? decision.resetSeconds : decision.retryAfterSeconds;
}
