import type { Collection, PointRecord, ScoredHit } from '../collection/collection.js';
import { matchesFilter, parseFilter } from '../filter/index.js';
import type { QuantizationSearchParams } from '../types.js';

/**
 * What queries need from a request's filter: whether a point matches, and the nearest matching
 * points. Without a filter every point matches and search goes straight to the index.
 */
export interface FilterPlan {
  /** True when there is no filter. */
  readonly all: boolean;
  matches(record: PointRecord): boolean;
  /** How many points match, estimated when an exact count would have to read every payload. */
  estimate(): number;
  nearest(
    query: readonly number[],
    k: number,
    ef: number | undefined,
    exact: boolean,
    quantization?: QuantizationSearchParams,
  ): ScoredHit[];
}

export function planFilter(collection: Collection, filterJson: unknown): FilterPlan {
  const defaultEf = (k: number, ef: number | undefined): number => Math.max(ef ?? 0, k, 64);
  if (filterJson === undefined || filterJson === null) {
    return {
      all: true,
      matches: () => true,
      estimate: () => collection.pointCount,
      nearest: (query, k, ef, exact, quantization) =>
        collection.nearest(query, k, {
          ef: defaultEf(k, ef),
          exact,
          ...(quantization === undefined ? {} : { quantization }),
        }),
    };
  }
  const filter = parseFilter(filterJson);
  const matches = (record: PointRecord): boolean => matchesFilter(filter, record.id, record.payload);
  return {
    all: false,
    matches,
    estimate: () => collection.estimateMatching(filter),
    nearest: (query, k, ef, exact, quantization) =>
      collection.nearestMatching(query, k, defaultEf(k, ef), exact, filter, quantization),
  };
}
