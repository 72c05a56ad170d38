import type { Collection, PointRecord, ScoredHit } from '../collection/collection.js';
import { matchesFilter, parseFilter, type FilteredSearchPlan, type MatchingPoints } from '../filter/index.js';
import type { QuantizationSearchParams, SearchTrace } from '../types.js';

export interface NearestOptions {
  readonly ef: number | undefined;
  readonly exact: boolean;
  readonly quantization: QuantizationSearchParams | undefined;
  /** Filled in with what the index did, for `explain`. */
  readonly trace?: SearchTrace;
}

/**
 * What queries need from a request's filter: whether a point matches, and the nearest matching
 * points. Without a filter every point matches and search goes straight to the index. A plan is
 * good until the collection changes: a batch shares one among the queries with the same filter,
 * and the matching set is found once, by the first of them.
 */
export interface FilterPlan {
  /** True when there is no filter. */
  readonly all: boolean;
  matches(record: PointRecord): boolean;
  /** How many points match, estimated when an exact count would have to read every payload. */
  estimate(): number;
  /** The nearest matching points, and the planner's choice when there is a filter. */
  nearest(
    query: readonly number[],
    k: number,
    options: NearestOptions,
  ): { hits: ScoredHit[]; plan: FilteredSearchPlan | undefined };
}

export function planFilter(collection: Collection, filterJson: unknown): FilterPlan {
  const defaultEf = (k: number, ef: number | undefined): number => Math.max(ef ?? 0, k, 64);
  const passed = (options: NearestOptions) => ({
    ...(options.quantization === undefined ? {} : { quantization: options.quantization }),
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  });
  if (filterJson === undefined || filterJson === null) {
    return {
      all: true,
      matches: () => true,
      estimate: () => collection.pointCount,
      nearest: (query, k, options) => ({
        hits: collection.nearest(query, k, {
          ef: defaultEf(k, options.ef),
          exact: options.exact,
          ...passed(options),
        }),
        plan: undefined,
      }),
    };
  }
  const filter = parseFilter(filterJson);
  const matches = (record: PointRecord): boolean => matchesFilter(filter, record.id, record.payload);
  let matching: MatchingPoints | undefined;
  return {
    all: false,
    matches,
    estimate: () => collection.estimateMatching(filter),
    nearest: (query, k, options) => {
      matching ??= collection.matching(filter);
      return collection.nearestAmong(query, k, matching, {
        ef: defaultEf(k, options.ef),
        exact: options.exact,
        ...passed(options),
      });
    },
  };
}
