import { StrataError } from '../../kernel/index.js';
import type { QuotaRule, RateRule } from './limits.js';

// Rules come from configuration (CONFIG_INVALID); a cost or amount comes from the request being
// admitted (INVALID_ARGUMENT): a batch larger than the bucket could never pass, however long the
// client waited, so it is told to split the request rather than to retry.

export function validateTake(key: string, rule: RateRule, cost: number): void {
  validateKey(key);
  if (!isPositiveFinite(rule.ratePerSecond)) {
    throw new StrataError(
      'CONFIG_INVALID',
      `A rate limit's ratePerSecond must be a positive finite number of tokens per second, not ${String(rule.ratePerSecond)}.`,
      { details: { key, ratePerSecond: rule.ratePerSecond } },
    );
  }
  if (!Number.isSafeInteger(rule.burst) || rule.burst < 1) {
    throw new StrataError(
      'CONFIG_INVALID',
      `A rate limit's burst must be a whole number of tokens, at least 1, not ${String(rule.burst)}.`,
      { details: { key, burst: rule.burst } },
    );
  }
  if (!isPositiveFinite(cost)) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `A request's rate-limit cost must be a positive finite number, not ${String(cost)}.`,
      { details: { key, cost } },
    );
  }
  if (cost > rule.burst) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `This request costs ${cost} tokens but the rate limit for '${key}' holds at most ${rule.burst}; split it into requests of at most ${rule.burst}.`,
      { details: { key, cost, burst: rule.burst } },
    );
  }
}

export function validateConsume(key: string, rule: QuotaRule, amount: number): void {
  validateKey(key);
  if (!Number.isSafeInteger(rule.limit) || rule.limit < 1) {
    throw new StrataError(
      'CONFIG_INVALID',
      `A quota's limit must be a whole number, at least 1, not ${String(rule.limit)}.`,
      { details: { key, limit: rule.limit } },
    );
  }
  if ((rule.period as string) !== 'day') {
    throw new StrataError(
      'CONFIG_INVALID',
      `A quota's period must be 'day', not '${rule.period as string}'.`,
      {
        details: { key, period: rule.period },
      },
    );
  }
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `A quota amount must be a whole number, 0 or more, not ${String(amount)}.`,
      { details: { key, amount } },
    );
  }
  if (amount > rule.limit) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `This request needs ${amount} of the daily quota for '${key}', which is ${rule.limit} in all; split it into requests of at most ${rule.limit}.`,
      { details: { key, amount, limit: rule.limit } },
    );
  }
}

function validateKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new StrataError('INVALID_ARGUMENT', 'A rate-limit or quota key must be a non-empty string.');
  }
}

function isPositiveFinite(value: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}
