import { StrataError } from '../../kernel/index.js';

/**
 * A limit on a level rather than a rate, such as the vectors a tenant stores: the source of truth
 * is the store's own count (`current`), which also goes down on deletes, so there is no counter to
 * keep here and no period. Call it before a write with the number the write adds; the write
 * should go ahead only when `allowed`. Two concurrent writes may both pass near the limit; a
 * store that must never exceed it checks again under its own write lock.
 */
export interface GaugeDecision {
  readonly allowed: boolean;
  /** The level after the write when allowed, else the current level. */
  readonly used: number;
  readonly limit: number;
  readonly remaining: number;
}

export function checkGauge(limit: number, current: number, adding: number): GaugeDecision {
  for (const [name, value] of [
    ['limit', limit],
    ['current', current],
    ['adding', adding],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `A gauge's ${name} must be a whole number, 0 or more, not ${String(value)}.`,
        {
          details: { [name]: value },
        },
      );
    }
  }
  const allowed = current + adding <= limit;
  const used = allowed ? current + adding : current;
  return { allowed, used, limit, remaining: Math.max(0, limit - used) };
}
