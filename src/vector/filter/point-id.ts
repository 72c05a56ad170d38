import type { PointId } from './types.js';

const HYPHENATED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SIMPLE = /^[0-9a-f]{32}$/i;

/**
 * A point id in canonical form, or undefined when `value` is none: an unsigned safe integer, or
 * a UUID, hyphenated or as 32 hex digits, written back lowercase and hyphenated as Qdrant does,
 * so that one point never answers to two spellings.
 */
export function normalizePointId(value: unknown): PointId | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (HYPHENATED.test(value)) return value.toLowerCase();
  if (!SIMPLE.test(value)) return undefined;
  const hex = value.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
