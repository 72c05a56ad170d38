import { StrataError } from '../../kernel/index.js';
import { normalizePointId, type PointId } from '../filter/index.js';

export type { PointId } from '../filter/index.js';

/** A client's point id in canonical form, or INVALID_ARGUMENT naming where it was given. */
export function parsePointId(value: unknown, path: string): PointId {
  const id = normalizePointId(value);
  if (id === undefined) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `${path}: point id ${JSON.stringify(value)} must be an unsigned integer or a UUID`,
    );
  }
  return id;
}

/** Qdrant's order for scrolling: integers ascending, then UUIDs in string order. */
export function comparePointIds(a: PointId, b: PointId): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
